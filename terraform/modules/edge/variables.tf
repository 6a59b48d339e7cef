variable "name" {
  description = "Marquee region this edge runs in."
  type        = string
}

variable "aws_region" {
  description = "AWS region of that Marquee region."
  type        = string
}

variable "vpc_id" {
  description = "The region's VPC."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets for the edge tasks and their internal load balancer (Global Accelerator reaches it)."
  type        = list(string)
}

variable "ecs_cluster_arn" {
  description = "The region's ECS cluster."
  type        = string
}

variable "image" {
  description = "Container image of the marquee binary."
  type        = string
}

variable "replicas" {
  description = "`marquee edge` tasks."
  type        = number
}

variable "domain" {
  description = "Public host name users reach (TLS certificate subject)."
  type        = string
}

variable "public_zone_id" {
  description = "Route 53 public zone of var.domain, for the certificate's DNS validation."
  type        = string
}

variable "region_urls" {
  description = "Every Marquee region's API: region name => URL; each becomes one --region-url NAME=URL."
  type        = map(string)
}
