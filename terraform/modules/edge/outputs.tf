output "load_balancer_arn" {
  description = "The edge's load balancer, a Global Accelerator endpoint."
  value       = aws_lb.edge.arn
}
