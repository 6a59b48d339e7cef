# One network, one set of regional services and one edge per region file.

module "network" {
  source   = "./modules/network"
  for_each = local.regions

  name       = each.key
  aws_region = each.value.deploy.awsRegion
  cidr       = each.value.deploy.vpcCidr
}

module "region" {
  source   = "./modules/region"
  for_each = local.regions

  name         = each.key
  aws_region   = each.value.deploy.awsRegion
  sql_locality = each.value.sqlLocality
  nats_cluster = each.value.natsCluster
  s3_bucket    = each.value.s3Bucket

  vpc_id             = module.network[each.key].vpc_id
  private_subnet_ids = module.network[each.key].private_subnet_ids
  peer_cidrs         = local.region_cidrs
  internal_zone_id   = aws_route53_zone.internal.zone_id
  internal_domain    = var.internal_domain

  image          = var.image
  replicas       = var.region_replicas
  secrets        = var.secrets
  cockroach_join = local.cockroach_join
  # The other clusters of the supercluster, by NATS cluster name.
  nats_gateways = { for cluster, url in local.nats_gateways : cluster => url if cluster != each.value.natsCluster }

  cockroach_version       = var.cockroach_version
  cockroach_nodes         = var.cockroach_nodes_per_region
  cockroach_instance_type = var.cockroach_instance_type
  nats_version            = var.nats_version
  nats_nodes              = var.nats_nodes_per_region
  nats_instance_type      = var.nats_instance_type
}

module "edge" {
  source   = "./modules/edge"
  for_each = local.regions

  name               = each.key
  aws_region         = each.value.deploy.awsRegion
  vpc_id             = module.network[each.key].vpc_id
  private_subnet_ids = module.network[each.key].private_subnet_ids
  ecs_cluster_arn    = module.region[each.key].ecs_cluster_arn
  image              = var.image
  replicas           = var.edge_replicas
  domain             = var.domain
  public_zone_id     = var.public_zone_id
  # Every region's API, so that any edge can route any call (and fail over to the nearest healthy region).
  region_urls = { for name, r in module.region : name => r.api_url }
}
