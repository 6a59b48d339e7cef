# A region's network: a VPC over `zones` availability zones, public subnets (edge load balancer, NAT) and
# private subnets (services, NATS, CockroachDB) routed through one NAT gateway and to the peered regions.

data "aws_availability_zones" "available" {
  region = var.aws_region
  state  = "available"
}

locals {
  zones = slice(data.aws_availability_zones.available.names, 0, var.zones)
}

resource "aws_vpc" "this" {
  region               = var.aws_region
  cidr_block           = var.cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = { Name = "marquee-${var.name}" }
}

resource "aws_subnet" "public" {
  count = var.zones

  region                  = var.aws_region
  vpc_id                  = aws_vpc.this.id
  availability_zone       = local.zones[count.index]
  cidr_block              = cidrsubnet(var.cidr, 4, count.index)
  map_public_ip_on_launch = false

  tags = { Name = "marquee-${var.name}-public-${count.index}" }
}

resource "aws_subnet" "private" {
  count = var.zones

  region            = var.aws_region
  vpc_id            = aws_vpc.this.id
  availability_zone = local.zones[count.index]
  cidr_block        = cidrsubnet(var.cidr, 4, 8 + count.index)

  tags = { Name = "marquee-${var.name}-private-${count.index}" }
}

resource "aws_internet_gateway" "this" {
  region = var.aws_region
  vpc_id = aws_vpc.this.id
}

resource "aws_eip" "nat" {
  region = var.aws_region
  domain = "vpc"
}

resource "aws_nat_gateway" "this" {
  region        = var.aws_region
  allocation_id = aws_eip.nat.id
  subnet_id     = aws_subnet.public[0].id
  depends_on    = [aws_internet_gateway.this]
}

# Routes are separate aws_route resources (never inline), since the root module adds routes to the peered
# regions to the private table.
resource "aws_route_table" "public" {
  region = var.aws_region
  vpc_id = aws_vpc.this.id
}

resource "aws_route" "public_internet" {
  region                 = var.aws_region
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table" "private" {
  region = var.aws_region
  vpc_id = aws_vpc.this.id
}

resource "aws_route" "private_nat" {
  region                 = var.aws_region
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this.id
}

resource "aws_route_table_association" "public" {
  count = var.zones

  region         = var.aws_region
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table_association" "private" {
  count = var.zones

  region         = var.aws_region
  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}
