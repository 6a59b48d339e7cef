variable "name" {
  description = "Marquee region name (the name in regions/*.json), for example us-east1; `marquee region --region` takes it."
  type        = string
}

variable "aws_region" {
  description = "AWS region everything here is created in."
  type        = string
}

variable "sql_locality" {
  description = "CockroachDB --locality of the region's nodes (regions/*.json sqlLocality); its region tier is the database region."
  type        = string
}

variable "nats_cluster" {
  description = "Name of the region's NATS cluster in the supercluster (regions/*.json natsCluster)."
  type        = string
}

variable "s3_bucket" {
  description = "Name of the region's archive bucket (regions/*.json s3Bucket)."
  type        = string
}

variable "vpc_id" {
  description = "The region's VPC."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets, one per availability zone."
  type        = list(string)
}

variable "peer_cidrs" {
  description = "Address ranges of every region's network (this one included): SQL and NATS gateway traffic comes from them."
  type        = list(string)
}

variable "internal_zone_id" {
  description = "Private Route 53 zone shared by every region."
  type        = string
}

variable "internal_domain" {
  description = "Name of that zone, for example marquee.internal."
  type        = string
}

variable "image" {
  description = "Container image of the marquee binary."
  type        = string
}

variable "replicas" {
  description = "`marquee region` tasks."
  type        = number
}

variable "secrets" {
  description = "Names of the Secrets Manager secrets (replicated to this region)."
  type = object({
    database_password = string
    token_secret      = string
    cockroach_certs   = string
  })
}

variable "cockroach_join" {
  description = "--join addresses of the one CockroachDB cluster (nodes of every region)."
  type        = string
}

variable "nats_gateways" {
  description = "The other regions' NATS clusters: cluster name => gateway URL."
  type        = map(string)
}

variable "cockroach_version" {
  description = "CockroachDB release."
  type        = string
}

variable "cockroach_nodes" {
  description = "CockroachDB nodes in this region."
  type        = number
}

variable "cockroach_instance_type" {
  description = "EC2 instance type of the CockroachDB nodes."
  type        = string
}

variable "nats_version" {
  description = "nats-server release."
  type        = string
}

variable "nats_nodes" {
  description = "NATS servers in this region's cluster."
  type        = number
}

variable "nats_instance_type" {
  description = "EC2 instance type of the NATS servers."
  type        = string
}
