# How Marquee is laid out in production: one module instance per file in ../regions/ (network, regional services,
# NATS cluster, CockroachDB nodes, archive bucket, edge), joined by VPC peering, one private DNS zone and a
# CockroachDB cluster and NATS supercluster that span every region; the edge sits behind Global Accelerator.
#
# Adding a region is adding a regions/*.json file: `terraform apply` then deploys it, and the CockroachDB overlay
# (marquee migrate --cockroach-overlay) adds it to the database.
terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.0 added the per-resource `region` argument, which lets one provider and a module for_each over the
      # regions manage every region: no provider block per region to add by hand.
      version = "~> 6.0"
    }
  }
}

provider "aws" {
  # Only the default for region-less calls; every regional resource names its own region.
  region = var.control_region

  default_tags {
    tags = {
      app        = "marquee"
      managed-by = "terraform"
    }
  }
}
