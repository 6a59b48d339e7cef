# What one region runs: stateless `marquee region` tasks behind an internal load balancer (services.tf), a NATS
# cluster joined to the other regions' by gateways (nats.tf), this region's CockroachDB nodes (cockroach.tf) and
# its archive bucket (archive.tf).

locals {
  fqdn     = "${var.name}.${var.internal_domain}"
  sql_host = "crdb.${local.fqdn}"
  nats_url = "nats://nats.${local.fqdn}:4222"
  api_host = "api.${local.fqdn}"
}

data "aws_vpc" "this" {
  region = var.aws_region
  id     = var.vpc_id
}

data "aws_subnet" "private" {
  count = length(var.private_subnet_ids)

  region = var.aws_region
  id     = var.private_subnet_ids[count.index]
}

# Debian 12, from Debian's own AWS account.
data "aws_ami" "debian" {
  region      = var.aws_region
  most_recent = true
  owners      = ["136693071363"]

  filter {
    name   = "name"
    values = ["debian-12-amd64-*"]
  }
}

data "aws_secretsmanager_secret" "database_password" {
  region = var.aws_region
  name   = var.secrets.database_password
}

data "aws_secretsmanager_secret" "token_secret" {
  region = var.aws_region
  name   = var.secrets.token_secret
}

data "aws_secretsmanager_secret" "cockroach_certs" {
  region = var.aws_region
  name   = var.secrets.cockroach_certs
}

# Instances (NATS, CockroachDB) read their certificates from Secrets Manager and nothing else.
resource "aws_iam_role" "instance" {
  name = "marquee-${var.name}-instance"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "instance" {
  name = "read-cockroach-certs"
  role = aws_iam_role.instance.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "secretsmanager:GetSecretValue", Resource = data.aws_secretsmanager_secret.cockroach_certs.arn }]
  })
}

resource "aws_iam_instance_profile" "instance" {
  name = "marquee-${var.name}-instance"
  role = aws_iam_role.instance.name
}
