# Noctis on AWS. A thin root: providers, state and settings; the stack module
# holds the resources.

provider "aws" {
  region = var.region
  default_tags {
    tags = { ManagedBy = "terraform" }
  }
}

module "noctis" {
  source = "../../modules/stack"

  name                              = var.name
  bucket_name                       = var.bucket_name
  ae_title                          = var.ae_title
  allowed_source_cidrs              = var.allowed_source_cidrs
  api_package_path                  = var.api_package_path
  api_token_secret                  = var.api_token_secret
  bootstrap_admin                   = var.bootstrap_admin
  receiver_image_tag                = var.receiver_image_tag
  receiver_min_tasks                = var.receiver_min_tasks
  receiver_max_tasks                = var.receiver_max_tasks
  dicom_tls_certificate_arn         = var.dicom_tls_certificate_arn
  dicom_task_tls_certificate        = var.dicom_task_tls_certificate
  public_dicom_host                 = var.public_dicom_host
  api_custom_domain                 = var.api_custom_domain
  console_domain                    = var.console_domain
  dicomweb_origin                   = var.dicomweb_origin
  alarm_emails                      = var.alarm_emails
  log_retention_days                = var.log_retention_days
  archive_after_days                = var.archive_after_days
  noncurrent_version_retention_days = var.noncurrent_version_retention_days
  retention_schedule                = var.retention_schedule
  # Every facility's modality is configured with this balancer's address.
  load_balancer_deletion_protection = true
  tags                              = var.tags
}
