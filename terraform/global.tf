# Global load balancing: one anycast Global Accelerator in front of every region's edge; each user reaches the
# nearest healthy edge, and health checks take a region's edge out when it stops answering.

resource "aws_globalaccelerator_accelerator" "edge" {
  name            = "marquee-edge"
  ip_address_type = "DUAL_STACK"
  enabled         = true
}

resource "aws_globalaccelerator_listener" "https" {
  accelerator_arn = aws_globalaccelerator_accelerator.edge.id
  protocol        = "TCP"
  client_affinity = "SOURCE_IP"

  port_range {
    from_port = 443
    to_port   = 443
  }
}

resource "aws_globalaccelerator_endpoint_group" "edge" {
  for_each = local.regions

  listener_arn          = aws_globalaccelerator_listener.https.id
  endpoint_group_region = each.value.deploy.awsRegion
  health_check_protocol = "HTTPS"
  health_check_path     = "/healthz"

  endpoint_configuration {
    endpoint_id                    = module.edge[each.key].load_balancer_arn
    weight                         = 100
    client_ip_preservation_enabled = true
  }
}

resource "aws_route53_record" "edge" {
  zone_id = var.public_zone_id
  name    = var.domain
  type    = "A"

  alias {
    name                   = aws_globalaccelerator_accelerator.edge.dns_name
    zone_id                = aws_globalaccelerator_accelerator.edge.hosted_zone_id
    evaluate_target_health = true
  }
}
