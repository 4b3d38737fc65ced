output "dicom_host" {
  description = "The load balancer's DNS name: the host a modality sends to."
  value       = aws_lb.dicom.dns_name
}

output "dicom_port" {
  description = "Plain DICOM port."
  value       = local.dicom_port
}

output "dicom_tls_port" {
  description = "DICOM TLS port (null when TLS is off)."
  value       = local.task_tls || var.tls_certificate_arn != null ? local.tls_port : null
}

output "load_balancer_arn_suffix" {
  description = "For CloudWatch metrics of the load balancer."
  value       = aws_lb.dicom.arn_suffix
}

output "repository_url" {
  description = "Where to push the receiver image."
  value       = aws_ecr_repository.receiver.repository_url
}

output "cluster_name" {
  description = "The ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "service_name" {
  description = "The ECS service."
  value       = aws_ecs_service.receiver.name
}

output "log_group_name" {
  description = "The receiver's log group (JSON lines)."
  value       = aws_cloudwatch_log_group.receiver.name
}

output "task_role_arn" {
  description = "The role the receiver runs as."
  value       = aws_iam_role.task.arn
}

output "target_group_arn_suffix" {
  description = "For CloudWatch metrics of the plain DICOM target group."
  value       = aws_lb_target_group.dicom[tostring(local.dicom_port)].arn_suffix
}

output "environment" {
  description = "The container's NOCTIS_* configuration (the deployed-stack suite runs the receiver with it)."
  value       = local.environment
}

output "web_host" {
  description = "The DICOMweb balancer's DNS name: point the origin's name (web certificate) at it."
  value       = aws_lb.web.dns_name
}

output "web_https" {
  description = "Whether the DICOMweb origin listens on HTTPS."
  value       = local.web_https
}

output "origin_header_name" {
  description = "The header CloudFront sends to the DICOMweb origin."
  value       = local.origin_header_name
}

output "secrets" {
  description = "The container's configuration read from Secrets Manager: variable name to secret ARN."
  value       = local.secrets
}
