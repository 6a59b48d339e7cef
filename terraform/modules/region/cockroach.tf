# This region's nodes of the one CockroachDB cluster. Each node's --locality is the region's sqlLocality plus its
# availability zone, so the region tier is the database region named in schema/cockroach/multiregion.sql.
# The services connect through crdb.<region> (a load balancer over the local nodes), so their gateway region is
# their own region and REGIONAL BY ROW rows inserted by them are homed here.
#
# Once, after the first apply: `cockroach init --host crdb-0.<primary region>.<internal domain>`, create the
# marquee database and user, then `marquee migrate` and the overlay (see the README).

locals {
  cockroach_hosts = [for i in range(var.cockroach_nodes) : "crdb-${i}.${local.fqdn}"]
}

resource "aws_instance" "cockroach" {
  count = var.cockroach_nodes

  region                 = var.aws_region
  ami                    = data.aws_ami.debian.id
  instance_type          = var.cockroach_instance_type
  subnet_id              = data.aws_subnet.private[count.index % length(data.aws_subnet.private)].id
  vpc_security_group_ids = [aws_security_group.cockroach.id]
  iam_instance_profile   = aws_iam_instance_profile.instance.name

  user_data = templatefile("${path.module}/templates/cockroach.sh.tftpl", {
    version      = var.cockroach_version
    aws_region   = var.aws_region
    certs_secret = var.secrets.cockroach_certs
    advertise    = local.cockroach_hosts[count.index]
    locality     = "${var.sql_locality},zone=${data.aws_subnet.private[count.index % length(data.aws_subnet.private)].availability_zone}"
    join         = var.cockroach_join
  })

  root_block_device {
    volume_type = "gp3"
    volume_size = 50
    encrypted   = true
  }

  ebs_block_device {
    device_name = "/dev/sdf"
    volume_type = "gp3"
    volume_size = 1000
    iops        = 6000
    encrypted   = true
  }

  tags = { Name = local.cockroach_hosts[count.index] }
}

resource "aws_route53_record" "cockroach_node" {
  count = var.cockroach_nodes

  zone_id = var.internal_zone_id
  name    = local.cockroach_hosts[count.index]
  type    = "A"
  ttl     = 60
  records = [aws_instance.cockroach[count.index].private_ip]
}

resource "aws_lb" "sql" {
  region             = var.aws_region
  name               = "marquee-${var.name}-sql"
  internal           = true
  load_balancer_type = "network"
  subnets            = var.private_subnet_ids
}

resource "aws_lb_target_group" "sql" {
  region      = var.aws_region
  name        = "marquee-${var.name}-sql"
  port        = 26257
  protocol    = "TCP"
  target_type = "instance"
  vpc_id      = var.vpc_id

  health_check {
    protocol = "HTTP"
    port     = "8080"
    path     = "/health?ready=1"
  }
}

resource "aws_lb_target_group_attachment" "sql" {
  count = var.cockroach_nodes

  region           = var.aws_region
  target_group_arn = aws_lb_target_group.sql.arn
  target_id        = aws_instance.cockroach[count.index].id
  port             = 26257
}

resource "aws_lb_listener" "sql" {
  region            = var.aws_region
  load_balancer_arn = aws_lb.sql.arn
  port              = 26257
  protocol          = "TCP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.sql.arn
  }
}

resource "aws_route53_record" "sql" {
  zone_id = var.internal_zone_id
  name    = local.sql_host
  type    = "A"

  alias {
    name                   = aws_lb.sql.dns_name
    zone_id                = aws_lb.sql.zone_id
    evaluate_target_health = true
  }
}
