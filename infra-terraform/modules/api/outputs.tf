output "api_url" {
  description = "The API's base URL (the custom domain's when one was given)."
  value       = var.custom_domain == null ? trimsuffix(aws_apigatewayv2_stage.default.invoke_url, "/") : "https://${var.custom_domain.name}"
}

output "api_id" {
  description = "The HTTP API, for CloudWatch metrics."
  value       = aws_apigatewayv2_api.http.id
}

output "custom_domain_target" {
  description = "Where to point the custom domain's DNS record (null without one)."
  value       = var.custom_domain == null ? null : aws_apigatewayv2_domain_name.custom[0].domain_name_configuration[0].target_domain_name
}

output "function_name" {
  description = "The Lambda function."
  value       = aws_lambda_function.api.function_name
}

output "log_group_name" {
  description = "The function's log group."
  value       = aws_cloudwatch_log_group.function.name
}

output "environment" {
  description = "The function's configuration, secrets included (the deployed-stack suite runs the API with it)."
  value       = local.environment
  sensitive   = true
}

output "api_domain" {
  description = "The HTTP API's own host (execute-api), the console's default origin behind CloudFront."
  value       = trimprefix(aws_apigatewayv2_api.http.api_endpoint, "https://")
}

output "retention_function_name" {
  description = "The retention job's Lambda function, invoked on `retention_schedule`."
  value       = aws_lambda_function.retention.function_name
}
