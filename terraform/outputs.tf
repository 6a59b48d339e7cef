output "regions" {
  description = "The regions deployed, from ../regions/*.json."
  value       = local.region_names
}

output "primary_region" {
  description = "CockroachDB's primary region."
  value       = local.primary_region
}

output "edge_url" {
  description = "Where users reach Marquee."
  value       = "https://${var.domain}"
}

output "region_api_urls" {
  description = "Each region's regional API, as the edge reaches it (private)."
  value       = { for name, r in module.region : name => r.api_url }
}

output "cockroach_sql_hosts" {
  description = "Each region's SQL load balancer, for DATABASE_URL (marquee migrate, the overlay, cockroach sql)."
  value       = { for name, r in module.region : name => r.cockroach_sql_host }
}

output "archive_buckets" {
  description = "Each region's archive bucket (object lock, COMPLIANCE mode)."
  value       = { for name, r in module.region : name => r.archive_bucket }
}
