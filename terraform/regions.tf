# The regions come from the same files as the Go package github.com/marqueehq/marquee/regions: one object per
# ../regions/*.json, keyed by its name (us-east1, ...). Every per-region module below has for_each = local.regions.
locals {
  region_dir  = "${path.module}/../regions"
  region_list = [for f in sort(fileset(local.region_dir, "*.json")) : jsondecode(file("${local.region_dir}/${f}"))]
  regions     = { for r in local.region_list : r.name => r }

  # CockroachDB's primary region is the one region file marked "primary".
  primary_region = one([for r in local.region_list : r.name if try(r.primary, false)])
  region_names   = sort(keys(local.regions))
  region_cidrs   = [for r in local.region_list : r.deploy.vpcCidr]

  # Every unordered pair of regions, for VPC peering: "a--b" with a before b.
  region_pairs = {
    for pair in setproduct(local.region_names, local.region_names) : "${pair[0]}--${pair[1]}" => {
      requester = pair[0]
      accepter  = pair[1]
    } if index(local.region_names, pair[0]) < index(local.region_names, pair[1])
  }

  # Join addresses of the one CockroachDB cluster and gateway URLs of the NATS supercluster, derived from the
  # region names alone so that no region's module waits for another's.
  cockroach_join = join(",", [for name in local.region_names : "crdb-0.${name}.${var.internal_domain}:26257"])
  nats_gateways = {
    for name, r in local.regions : r.natsCluster => "nats://nats-gateway.${name}.${var.internal_domain}:7222"
  }
}
