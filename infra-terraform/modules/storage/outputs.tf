output "bucket_name" {
  description = "The instance bucket (Noctis' aws.bucket)."
  value       = aws_s3_bucket.instances.id
}

output "bucket_arn" {
  description = "The instance bucket's ARN, for IAM policies."
  value       = aws_s3_bucket.instances.arn
}

output "kms_key_arn" {
  description = "The key the instances are encrypted with; readers and writers need it."
  value       = aws_kms_key.instances.arn
}

output "logs_bucket_name" {
  description = "The access-log bucket (S3 server access logs under s3-access/, load balancer logs under nlb/)."
  value       = aws_s3_bucket.logs.id
}
