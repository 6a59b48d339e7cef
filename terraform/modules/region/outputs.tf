output "ecs_cluster_arn" {
  description = "The region's ECS cluster (the edge runs its tasks there too)."
  value       = aws_ecs_cluster.this.arn
}

output "api_url" {
  description = "The regional API, reached by the edges over peering."
  value       = "http://${aws_route53_record.api.fqdn}"
}

output "cockroach_sql_host" {
  description = "The region's SQL load balancer."
  value       = aws_route53_record.sql.fqdn
}

output "archive_bucket" {
  description = "The region's archive bucket."
  value       = aws_s3_bucket.archive.bucket
}
