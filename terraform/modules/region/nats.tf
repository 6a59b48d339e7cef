# The region's NATS cluster (JetStream, servers tagged region:<name> for stream placement), joined by gateways to
# the cluster of every other region into one supercluster. Clients use nats.<region>; gateways dial
# nats-gateway.<region>; routes use each server's own name.

locals {
  nats_hosts = [for i in range(var.nats_nodes) : "nats-${i}.${local.fqdn}"]
}

resource "aws_instance" "nats" {
  count = var.nats_nodes

  region                 = var.aws_region
  ami                    = data.aws_ami.debian.id
  instance_type          = var.nats_instance_type
  subnet_id              = var.private_subnet_ids[count.index % length(var.private_subnet_ids)]
  vpc_security_group_ids = [aws_security_group.nats.id]
  iam_instance_profile   = aws_iam_instance_profile.instance.name

  user_data = templatefile("${path.module}/templates/nats.sh.tftpl", {
    version = var.nats_version
    config = templatefile("${path.module}/templates/nats.conf.tftpl", {
      server_name = local.nats_hosts[count.index]
      region      = var.name
      cluster     = var.nats_cluster
      routes      = local.nats_hosts
      gateways    = var.nats_gateways
    })
  })

  root_block_device {
    volume_type = "gp3"
    volume_size = 200
    encrypted   = true
  }

  tags = { Name = local.nats_hosts[count.index] }
}

resource "aws_route53_record" "nats_server" {
  count = var.nats_nodes

  zone_id = var.internal_zone_id
  name    = local.nats_hosts[count.index]
  type    = "A"
  ttl     = 60
  records = [aws_instance.nats[count.index].private_ip]
}

resource "aws_route53_record" "nats" {
  for_each = toset(["nats", "nats-gateway"])

  zone_id = var.internal_zone_id
  name    = "${each.key}.${local.fqdn}"
  type    = "A"
  ttl     = 60
  records = aws_instance.nats[*].private_ip
}
