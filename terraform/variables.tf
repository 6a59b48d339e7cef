variable "domain" {
  description = "Public host name of the edge (the web UI and API), for example tickets.example.com."
  type        = string
}

variable "public_zone_id" {
  description = "Route 53 public hosted zone that holds var.domain (records and certificate validation go there)."
  type        = string
}

variable "internal_domain" {
  description = "Private DNS zone shared by every region's network: SQL, NATS and regional API names."
  type        = string
  default     = "marquee.internal"
}

variable "control_region" {
  description = "AWS region of the provider's default configuration (region-less API calls only)."
  type        = string
  default     = "us-east-1"
}

variable "image" {
  description = "Container image of the marquee binary, for example ghcr.io/marqueehq/marquee:v1.4.0."
  type        = string
}

variable "secrets" {
  description = "Names of Secrets Manager secrets, replicated to every region: the SQL user's password, the bearer-token key and the CockroachDB certificates (a base64 tar of ca.crt, node.crt and node.key for *.<internal_domain>)."
  type = object({
    database_password = string
    token_secret      = string
    cockroach_certs   = string
  })
  default = {
    database_password = "marquee/database-password"
    token_secret      = "marquee/token-secret"
    cockroach_certs   = "marquee/cockroach-certs"
  }
}

variable "region_replicas" {
  description = "`marquee region` tasks per region."
  type        = number
  default     = 3
}

variable "edge_replicas" {
  description = "`marquee edge` tasks per region."
  type        = number
  default     = 2
}

variable "cockroach_version" {
  description = "CockroachDB release run on the SQL nodes."
  type        = string
  default     = "v25.2.4"
}

variable "cockroach_nodes_per_region" {
  description = "CockroachDB nodes per region; SURVIVE REGION FAILURE wants at least 3 in each."
  type        = number
  default     = 3

  validation {
    condition     = var.cockroach_nodes_per_region >= 3
    error_message = "Run at least 3 CockroachDB nodes per region."
  }
}

variable "cockroach_instance_type" {
  description = "EC2 instance type of the CockroachDB nodes."
  type        = string
  default     = "m7i.2xlarge"
}

variable "nats_version" {
  description = "nats-server release run in every region's cluster."
  type        = string
  default     = "v2.15.2"
}

variable "nats_nodes_per_region" {
  description = "NATS servers per regional cluster (JetStream needs 3 for replicated streams)."
  type        = number
  default     = 3
}

variable "nats_instance_type" {
  description = "EC2 instance type of the NATS servers."
  type        = string
  default     = "m7i.large"
}
