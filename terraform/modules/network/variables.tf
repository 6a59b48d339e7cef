variable "name" {
  description = "Marquee region name (regions/*.json name), for example us-east1."
  type        = string
}

variable "aws_region" {
  description = "AWS region the network is created in."
  type        = string
}

variable "cidr" {
  description = "The network's address range, distinct from every other region's."
  type        = string
}

variable "zones" {
  description = "How many availability zones to spread subnets over."
  type        = number
  default     = 3
}
