output "domain_name" {
  description = "The console's host: the custom domain, or the distribution's own."
  value       = var.custom_domain == null ? aws_cloudfront_distribution.this.domain_name : var.custom_domain.name
}

output "distribution_domain_name" {
  description = "The distribution's *.cloudfront.net name (a custom domain's CNAME or alias target)."
  value       = aws_cloudfront_distribution.this.domain_name
}

output "distribution_id" {
  description = "The distribution."
  value       = aws_cloudfront_distribution.this.id
}
