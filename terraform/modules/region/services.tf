# The regional services: `marquee region --region NAME` on ECS Fargate, talking to this region's SQL nodes and
# NATS cluster, behind an internal load balancer at api.<region>.<internal_domain> that every edge reaches.

resource "aws_ecs_cluster" "this" {
  region = var.aws_region
  name   = "marquee-${var.name}"

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_cloudwatch_log_group" "region" {
  region            = var.aws_region
  name              = "/marquee/${var.name}/region"
  retention_in_days = 30
}

resource "aws_iam_role" "execution" {
  name = "marquee-${var.name}-execution"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ecs-tasks.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_iam_role_policy" "execution_secrets" {
  name = "read-secrets"
  role = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "secretsmanager:GetSecretValue"
      Resource = [data.aws_secretsmanager_secret.database_password.arn, data.aws_secretsmanager_secret.token_secret.arn]
    }]
  })
}

# What the running tasks may do: write and read their region's archive (object lock retention included).
resource "aws_iam_role" "task" {
  name = "marquee-${var.name}-task"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ecs-tasks.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "task_archive" {
  name = "archive"
  role = aws_iam_role.task.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = ["s3:ListBucket", "s3:GetBucketObjectLockConfiguration"], Resource = aws_s3_bucket.archive.arn },
      { Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject", "s3:PutObjectRetention", "s3:GetObjectRetention", "s3:PutObjectLegalHold", "s3:GetObjectLegalHold"], Resource = "${aws_s3_bucket.archive.arn}/*" },
    ]
  })
}

resource "aws_ecs_task_definition" "region" {
  region                   = var.aws_region
  family                   = "marquee-region-${var.name}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 2048
  memory                   = 4096
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  container_definitions = jsonencode([{
    name      = "marquee"
    image     = var.image
    essential = true
    command   = ["region", "--region", var.name, "--addr", ":8080", "--nats-url", local.nats_url]
    environment = [
      # The region's own SQL nodes (gateway region = this region); the password comes from PGPASSWORD.
      { name = "DATABASE_URL", value = "postgresql://marquee@${local.sql_host}:26257/marquee?sslmode=require" },
      { name = "MARQUEE_ARCHIVE_BUCKET", value = aws_s3_bucket.archive.bucket },
    ]
    secrets = [
      { name = "PGPASSWORD", valueFrom = data.aws_secretsmanager_secret.database_password.arn },
      { name = "MARQUEE_TOKEN_SECRET", valueFrom = data.aws_secretsmanager_secret.token_secret.arn },
    ]
    portMappings = [{ containerPort = 8080, protocol = "tcp" }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.region.name
        awslogs-region        = var.aws_region
        awslogs-stream-prefix = "region"
      }
    }
  }])
}

resource "aws_ecs_service" "region" {
  region          = var.aws_region
  name            = "marquee-region"
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.region.arn
  desired_count   = var.replicas
  launch_type     = "FARGATE"

  network_configuration {
    subnets         = var.private_subnet_ids
    security_groups = [aws_security_group.api.id]
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.api.arn
    container_name   = "marquee"
    container_port   = 8080
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
}

resource "aws_lb" "api" {
  region             = var.aws_region
  name               = "marquee-${var.name}-api"
  internal           = true
  load_balancer_type = "application"
  subnets            = var.private_subnet_ids
  security_groups    = [aws_security_group.api_lb.id]
  # Server streams (seat maps, reindex progress) stay open for a while.
  idle_timeout = 300
}

resource "aws_lb_target_group" "api" {
  region      = var.aws_region
  name        = "marquee-${var.name}-api"
  port        = 8080
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = var.vpc_id

  health_check {
    path    = "/healthz"
    matcher = "200"
  }
}

# Plain HTTP inside the peered private networks (AWS encrypts inter-region peering); TLS ends at the edge.
resource "aws_lb_listener" "api" {
  region            = var.aws_region
  load_balancer_arn = aws_lb.api.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api.arn
  }
}

resource "aws_route53_record" "api" {
  zone_id = var.internal_zone_id
  name    = local.api_host
  type    = "A"

  alias {
    name                   = aws_lb.api.dns_name
    zone_id                = aws_lb.api.zone_id
    evaluate_target_health = true
  }
}
