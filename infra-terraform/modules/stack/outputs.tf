output "dicom_host" {
  description = "Host modalities send to."
  value       = coalesce(var.public_dicom_host, module.receiver.dicom_host)
}

output "dicom_port" {
  description = "Plain DICOM port."
  value       = module.receiver.dicom_port
}

output "dicom_tls_port" {
  description = "DICOM TLS port (null without a certificate)."
  value       = module.receiver.dicom_tls_port
}

output "called_ae_title" {
  description = "The AE title modalities address."
  value       = var.ae_title
}

output "api_url" {
  description = "The management API's base URL."
  value       = module.api.api_url
}

output "receiver_repository_url" {
  description = "Push the receiver image here."
  value       = module.receiver.repository_url
}

output "receiver_cluster" {
  description = "The receiver's ECS cluster."
  value       = module.receiver.cluster_name
}

output "receiver_service" {
  description = "The receiver's ECS service."
  value       = module.receiver.service_name
}

output "api_function_name" {
  description = "The API's Lambda function."
  value       = module.api.function_name
}

output "retention_function_name" {
  description = "The retention job's Lambda function, run on `retention_schedule`."
  value       = module.api.retention_function_name
}

output "bucket_name" {
  description = "The instance bucket (aws.bucket)."
  value       = module.storage.bucket_name
}

output "table_prefix" {
  description = "The registry's table prefix (aws.table_prefix)."
  value       = module.registry.table_prefix
}

output "alarm_topic_arn" {
  description = "Where alarms are sent."
  value       = module.monitoring.alarm_topic_arn
}

output "receiver_environment" {
  description = "The receiver container's configuration."
  value       = module.receiver.environment
}

output "api_environment" {
  description = "The API function's configuration (holds secrets)."
  value       = module.api.environment
  sensitive   = true
}

output "console_url" {
  description = "The console, the API and DICOMweb (/dicomweb) on one origin."
  value       = "https://${module.edge.domain_name}"
}

output "distribution_id" {
  description = "The CloudFront distribution in front of the API and DICOMweb."
  value       = module.edge.distribution_id
}

output "console_domain_target" {
  description = "Where to point console_domain's DNS record (an alias or CNAME)."
  value       = module.edge.distribution_domain_name
}

output "dicomweb_origin_target" {
  description = "Where to point dicomweb_origin's name (a CNAME to the DICOMweb balancer)."
  value       = module.receiver.web_host
}

output "receiver_secrets" {
  description = "The receiver container's configuration from Secrets Manager: variable name to secret ARN."
  value       = module.receiver.secrets
}
