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

output "console_url" {
  description = "The console's origin (the CloudFront distribution)."
  value       = module.noctis.console_url
}

output "distribution_id" {
  description = "The CloudFront distribution routing /dicomweb to the receivers."
  value       = module.noctis.distribution_id
}

output "dicomweb_origin_target" {
  description = "The receivers' DICOMweb balancer."
  value       = module.noctis.dicomweb_origin_target
}

output "receiver_secrets" {
  description = "The receiver container's configuration from Secrets Manager: variable name to secret ARN."
  value       = module.noctis.receiver_secrets
}
