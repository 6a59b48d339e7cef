# One region's edge: `marquee edge` serves the web UI and forwards each call, unchanged, to the region that owns
# its data (any region when the owner is down), behind an internal HTTPS load balancer that the global
# accelerator (../../global.tf) sends the nearest users to.

locals {
  region_url_flags = flatten([for name in sort(keys(var.region_urls)) : ["--region-url", "${name}=${var.region_urls[name]}"]])
}

resource "aws_cloudwatch_log_group" "edge" {
  region            = var.aws_region
  name              = "/marquee/${var.name}/edge"
  retention_in_days = 30
}

resource "aws_iam_role" "execution" {
  name = "marquee-${var.name}-edge-execution"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ecs-tasks.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_ecs_task_definition" "edge" {
  region                   = var.aws_region
  family                   = "marquee-edge-${var.name}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 1024
  memory                   = 2048
  execution_role_arn       = aws_iam_role.execution.arn

  container_definitions = jsonencode([{
    name         = "marquee"
    image        = var.image
    essential    = true
    command      = concat(["edge", "--addr", ":8080"], local.region_url_flags)
    portMappings = [{ containerPort = 8080, protocol = "tcp" }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.edge.name
        awslogs-region        = var.aws_region
        awslogs-stream-prefix = "edge"
      }
    }
  }])
}

resource "aws_security_group" "lb" {
  region      = var.aws_region
  name        = "marquee-${var.name}-edge-lb"
  description = "Edge load balancer: HTTPS from users through Global Accelerator (client IPs preserved)."
  vpc_id      = var.vpc_id

  ingress {
    from_port        = 443
    to_port          = 443
    protocol         = "tcp"
    cidr_blocks      = ["0.0.0.0/0"]
    ipv6_cidr_blocks = ["::/0"]
  }

  egress {
    from_port       = 8080
    to_port         = 8080
    protocol        = "tcp"
    security_groups = [aws_security_group.tasks.id]
  }
}

resource "aws_security_group" "tasks" {
  region      = var.aws_region
  name        = "marquee-${var.name}-edge"
  description = "marquee edge tasks: from their load balancer, out to every region's API."
  vpc_id      = var.vpc_id

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_lb" {
  region                       = var.aws_region
  security_group_id            = aws_security_group.tasks.id
  referenced_security_group_id = aws_security_group.lb.id
  from_port                    = 8080
  to_port                      = 8080
  ip_protocol                  = "tcp"
}

resource "aws_ecs_service" "edge" {
  region          = var.aws_region
  name            = "marquee-edge"
  cluster         = var.ecs_cluster_arn
  task_definition = aws_ecs_task_definition.edge.arn
  desired_count   = var.replicas
  launch_type     = "FARGATE"

  network_configuration {
    subnets         = var.private_subnet_ids
    security_groups = [aws_security_group.tasks.id]
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.edge.arn
    container_name   = "marquee"
    container_port   = 8080
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  depends_on = [aws_lb_listener.https]
}

resource "aws_lb" "edge" {
  region             = var.aws_region
  name               = "marquee-${var.name}-edge"
  internal           = true
  load_balancer_type = "application"
  subnets            = var.private_subnet_ids
  security_groups    = [aws_security_group.lb.id]
  idle_timeout       = 300
}

resource "aws_lb_target_group" "edge" {
  region      = var.aws_region
  name        = "marquee-${var.name}-edge"
  port        = 8080
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = var.vpc_id

  health_check {
    path    = "/healthz"
    matcher = "200"
  }
}

resource "aws_acm_certificate" "edge" {
  region            = var.aws_region
  domain_name       = var.domain
  validation_method = "DNS"

  lifecycle {
    create_before_destroy = true
  }
}

# Every region's certificate for the same name asks for the same validation record, hence allow_overwrite.
resource "aws_route53_record" "validation" {
  for_each = { for o in aws_acm_certificate.edge.domain_validation_options : o.domain_name => o }

  zone_id         = var.public_zone_id
  name            = each.value.resource_record_name
  type            = each.value.resource_record_type
  records         = [each.value.resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "edge" {
  region                  = var.aws_region
  certificate_arn         = aws_acm_certificate.edge.arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]
}

resource "aws_lb_listener" "https" {
  region            = var.aws_region
  load_balancer_arn = aws_lb.edge.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = aws_acm_certificate_validation.edge.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.edge.arn
  }
}
