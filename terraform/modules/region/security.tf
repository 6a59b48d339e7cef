resource "aws_security_group" "api_lb" {
  region      = var.aws_region
  name        = "marquee-${var.name}-api-lb"
  description = "Regional API load balancer: reached by every region's edge over peering."
  vpc_id      = var.vpc_id

  ingress {
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = var.peer_cidrs
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = [data.aws_vpc.this.cidr_block]
  }
}

resource "aws_security_group" "api" {
  region      = var.aws_region
  name        = "marquee-${var.name}-api"
  description = "marquee region tasks."
  vpc_id      = var.vpc_id

  ingress {
    from_port       = 8080
    to_port         = 8080
    protocol        = "tcp"
    security_groups = [aws_security_group.api_lb.id]
  }

  # SQL and NATS, payment and notification providers, S3.
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "nats" {
  region      = var.aws_region
  name        = "marquee-${var.name}-nats"
  description = "NATS: clients and routes from this region, gateways from every region."
  vpc_id      = var.vpc_id

  ingress {
    description = "clients"
    from_port   = 4222
    to_port     = 4222
    protocol    = "tcp"
    cidr_blocks = [data.aws_vpc.this.cidr_block]
  }

  ingress {
    description = "cluster routes"
    from_port   = 6222
    to_port     = 6222
    protocol    = "tcp"
    self        = true
  }

  ingress {
    description = "gateways of the supercluster"
    from_port   = 7222
    to_port     = 7222
    protocol    = "tcp"
    cidr_blocks = var.peer_cidrs
  }

  ingress {
    description = "monitoring"
    from_port   = 8222
    to_port     = 8222
    protocol    = "tcp"
    cidr_blocks = [data.aws_vpc.this.cidr_block]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "cockroach" {
  region      = var.aws_region
  name        = "marquee-${var.name}-cockroach"
  description = "CockroachDB: SQL and inter-node traffic from every region, DB Console from this one."
  vpc_id      = var.vpc_id

  ingress {
    description = "SQL and inter-node RPC"
    from_port   = 26257
    to_port     = 26257
    protocol    = "tcp"
    cidr_blocks = var.peer_cidrs
  }

  ingress {
    description = "DB Console and health checks"
    from_port   = 8080
    to_port     = 8080
    protocol    = "tcp"
    cidr_blocks = [data.aws_vpc.this.cidr_block]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
