output "dicom_host" {
  description = "Host modalities send to."
  value       = module.noctis.dicom_host
}

output "dicom_port" {
  description = "Plain DICOM port."
  value       = module.noctis.dicom_port
}

output "dicom_tls_port" {
  description = "DICOM TLS port."
  value       = module.noctis.dicom_tls_port
}

output "called_ae_title" {
  description = "The AE title modalities address."
  value       = module.noctis.called_ae_title
}

output "api_url" {
  description = "The management API."
  value       = module.noctis.api_url
}

output "receiver_repository_url" {
  description = "Push the receiver image here."
  value       = module.noctis.receiver_repository_url
}

output "bucket_name" {
  description = "The instance bucket."
  value       = module.noctis.bucket_name
}

output "table_prefix" {
  description = "The registry's table prefix."
  value       = module.noctis.table_prefix
}

output "receiver_cluster" {
  description = "The receiver's ECS cluster."
  value       = module.noctis.receiver_cluster
}

output "receiver_service" {
  description = "The receiver's ECS service."
  value       = module.noctis.receiver_service
}

output "console_url" {
  description = "The console, the API and DICOMweb (/dicomweb) on one origin."
  value       = module.noctis.console_url
}

output "console_domain_target" {
  description = "Where console_domain's DNS record points (the CloudFront distribution)."
  value       = module.noctis.console_domain_target
}

output "dicomweb_origin_target" {
  description = "Where dicomweb_origin's name points (a CNAME to the DICOMweb balancer)."
  value       = module.noctis.dicomweb_origin_target
}
