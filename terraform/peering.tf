# Every pair of regional networks is peered, so that CockroachDB nodes, NATS gateways and the edge reach every
# region privately. Inter-region peering traffic is encrypted by AWS.

resource "aws_vpc_peering_connection" "pair" {
  for_each = local.region_pairs

  region      = local.regions[each.value.requester].deploy.awsRegion
  vpc_id      = module.network[each.value.requester].vpc_id
  peer_vpc_id = module.network[each.value.accepter].vpc_id
  peer_region = local.regions[each.value.accepter].deploy.awsRegion

  tags = { Name = "marquee-${each.key}" }
}

resource "aws_vpc_peering_connection_accepter" "pair" {
  for_each = local.region_pairs

  region                    = local.regions[each.value.accepter].deploy.awsRegion
  vpc_peering_connection_id = aws_vpc_peering_connection.pair[each.key].id
  auto_accept               = true

  tags = { Name = "marquee-${each.key}" }
}

resource "aws_route" "requester_to_accepter" {
  for_each = local.region_pairs

  region                    = local.regions[each.value.requester].deploy.awsRegion
  route_table_id            = module.network[each.value.requester].private_route_table_id
  destination_cidr_block    = local.regions[each.value.accepter].deploy.vpcCidr
  vpc_peering_connection_id = aws_vpc_peering_connection.pair[each.key].id
}

resource "aws_route" "accepter_to_requester" {
  for_each = local.region_pairs

  region                    = local.regions[each.value.accepter].deploy.awsRegion
  route_table_id            = module.network[each.value.accepter].private_route_table_id
  destination_cidr_block    = local.regions[each.value.requester].deploy.vpcCidr
  vpc_peering_connection_id = aws_vpc_peering_connection_accepter.pair[each.key].id
}
