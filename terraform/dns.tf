# One private zone for every region's internal names (crdb-N.<region>, nats-N.<region>, api.<region>, ...),
# created with the primary region's network and associated with every other region's.

resource "aws_route53_zone" "internal" {
  name = var.internal_domain

  vpc {
    vpc_id     = module.network[local.primary_region].vpc_id
    vpc_region = local.regions[local.primary_region].deploy.awsRegion
  }

  # The associations below add the other regions' networks.
  lifecycle {
    ignore_changes = [vpc]
  }
}

resource "aws_route53_zone_association" "internal" {
  for_each = { for name, r in local.regions : name => r if name != local.primary_region }

  zone_id    = aws_route53_zone.internal.zone_id
  vpc_id     = module.network[each.key].vpc_id
  vpc_region = each.value.deploy.awsRegion
}
