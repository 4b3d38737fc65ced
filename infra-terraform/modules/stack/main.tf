# The whole of Noctis in one composition: what envs/aws and envs/localstack
# instantiate with their own providers and settings.

locals {
  tags = merge({ Application = "noctis", Deployment = var.name }, var.tags)
  # What CloudFront sends the DICOMweb origin: derived one-way from the token
  # secret, so there is nothing more to keep; it rotates with it.
  origin_secret = substr(sha256("noctis-dicomweb-origin:${var.api_token_secret}"), 0, 48)
}

module "network" {
  source              = "../network"
  name                = var.name
  cidr_block          = var.vpc_cidr_block
  zone_count          = var.zone_count
  interface_endpoints = var.interface_endpoints
  kms_key_arn         = module.storage.kms_key_arn
  log_retention_days  = var.log_retention_days
  tags                = local.tags
}

module "storage" {
  source                            = "../storage"
  bucket_name                       = var.bucket_name
  archive_after_days                = var.archive_after_days
  archive_storage_class             = var.archive_storage_class
  noncurrent_version_retention_days = var.noncurrent_version_retention_days
  force_destroy                     = var.throwaway
  tls_only_policy                   = var.tls_only_bucket_policy
  kms_deletion_window_days          = var.throwaway ? 7 : 30
  log_retention_days                = var.log_retention_days
  tags                              = local.tags
}

module "registry" {
  source              = "../registry"
  table_prefix        = "${var.name}-"
  deletion_protection = !var.throwaway
  kms_key_arn         = module.storage.kms_key_arn
  tags                = local.tags
}

module "receiver" {
  source               = "../receiver"
  name                 = "${var.name}-receiver"
  image_tag            = var.receiver_image_tag
  image                = var.receiver_image
  ae_title             = var.ae_title
  bucket_name          = module.storage.bucket_name
  bucket_arn           = module.storage.bucket_arn
  kms_key_arn          = module.storage.kms_key_arn
  table_prefix         = module.registry.table_prefix
  table_arns           = module.registry.table_arns
  vpc_id               = module.network.vpc_id
  public_subnet_ids    = module.network.public_subnet_ids
  private_subnet_ids   = module.network.private_subnet_ids
  allowed_source_cidrs = var.allowed_source_cidrs
  tls_certificate_arn  = var.dicom_tls_certificate_arn
  task_tls_certificate = var.dicom_task_tls_certificate
  min_tasks            = var.receiver_min_tasks
  max_tasks            = var.receiver_max_tasks
  autoscaling          = var.receiver_autoscaling
  log_retention_days   = var.log_retention_days
  aws_endpoint_url     = var.aws_endpoint_url
  deletion_protection  = var.load_balancer_deletion_protection
  access_logs_bucket   = module.storage.logs_bucket_name
  force_delete_images  = var.throwaway
  token_secret         = var.api_token_secret
  origin_secret        = local.origin_secret
  web_certificate_arn  = var.dicomweb_origin == null ? null : var.dicomweb_origin.certificate_arn
  # Plain HTTP to the origin is for an emulator's throwaway stack only.
  allow_plain_http_origin = var.throwaway
  tags                    = local.tags
}

module "edge" {
  source              = "../edge"
  name                = var.name
  api_domain          = module.api.api_domain
  dicomweb_domain     = var.dicomweb_origin == null ? module.receiver.web_host : var.dicomweb_origin.name
  dicomweb_https      = module.receiver.web_https
  origin_header_name  = module.receiver.origin_header_name
  origin_secret       = local.origin_secret
  custom_domain       = var.console_domain
  wait_for_deployment = !var.throwaway
  tags                = local.tags
}

module "api" {
  source                = "../api"
  name                  = "${var.name}-api"
  package_path          = var.api_package_path
  bucket_name           = module.storage.bucket_name
  bucket_arn            = module.storage.bucket_arn
  kms_key_arn           = module.storage.kms_key_arn
  table_prefix          = module.registry.table_prefix
  table_arns            = module.registry.table_arns
  token_secret          = var.api_token_secret
  bootstrap_admin       = var.bootstrap_admin
  ae_title              = var.ae_title
  public_dicom_host     = coalesce(var.public_dicom_host, module.receiver.dicom_host)
  public_dicom_port     = module.receiver.dicom_port
  public_dicom_tls_port = coalesce(module.receiver.dicom_tls_port, 0)
  custom_domain         = var.api_custom_domain
  edge_secret           = local.origin_secret
  log_retention_days    = var.log_retention_days
  retention_schedule    = var.retention_schedule
  aws_endpoint_url      = var.aws_endpoint_url
  tags                  = local.tags
}

module "monitoring" {
  source                   = "../monitoring"
  name                     = var.name
  receiver_log_group_name  = module.receiver.log_group_name
  load_balancer_arn_suffix = module.receiver.load_balancer_arn_suffix
  target_group_arn_suffix  = module.receiver.target_group_arn_suffix
  api_id                   = module.api.api_id
  function_name            = module.api.function_name
  alarm_emails             = var.alarm_emails
  tags                     = local.tags
}
