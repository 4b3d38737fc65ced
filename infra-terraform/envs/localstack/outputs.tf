output "bucket_name" {
  description = "The instance bucket."
  value       = module.noctis.bucket_name
}

output "table_prefix" {
  description = "The registry's table prefix."
  value       = module.noctis.table_prefix
}

output "api_url" {
  description = "The management API (LocalStack's API Gateway)."
  value       = module.noctis.api_url
}

output "dicom_host" {
  description = "The receiver's load balancer."
  value       = module.noctis.dicom_host
}

output "api_function_name" {
  description = "The API's Lambda function."
  value       = module.noctis.api_function_name
}

output "receiver_repository_url" {
  description = "The receiver's ECR repository."
  value       = module.noctis.receiver_repository_url
}

output "receiver_environment" {
  description = "The receiver container's configuration, as the task definition holds it."
  value       = module.noctis.receiver_environment
}

output "api_environment" {
  description = "The API function's configuration, as the function holds it (secrets included)."
  value       = module.noctis.api_environment
  sensitive   = true
}
