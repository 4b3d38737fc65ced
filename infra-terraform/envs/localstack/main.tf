# Noctis against an AWS emulator on loopback: LocalStack from
# localstack/docker-compose.yml (default endpoint), or the moto server that
# `make test` starts (scripts/infra passes its endpoint). Same stack module as
# envs/aws; only the provider and the throwaway settings differ.

provider "aws" {
  region                      = var.region
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  s3_use_path_style           = true

  endpoints {
    apigatewayv2           = var.endpoint
    applicationautoscaling = var.endpoint
    cloudfront             = var.endpoint
    cloudwatch             = var.endpoint
    dynamodb               = var.endpoint
    ec2                    = var.endpoint
    ecr                    = var.endpoint
    ecs                    = var.endpoint
    elbv2                  = var.endpoint
    events                 = var.endpoint
    iam                    = var.endpoint
    kms                    = var.endpoint
    lambda                 = var.endpoint
    logs                   = var.endpoint
    s3                     = var.endpoint
    secretsmanager         = var.endpoint
    sns                    = var.endpoint
    sts                    = var.endpoint
  }
}

module "noctis" {
  source = "../../modules/stack"

  name                 = var.name
  bucket_name          = "${var.name}-instances"
  allowed_source_cidrs = ["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
  api_package_path     = var.api_package_path
  api_token_secret     = var.api_token_secret
  bootstrap_admin      = var.bootstrap_admin
  receiver_image       = var.receiver_image
  receiver_min_tasks   = 1
  receiver_max_tasks   = 2
  # Neither moto nor LocalStack's community edition implements Application
  # Auto Scaling's tagging API, which the provider calls after every create.
  receiver_autoscaling              = false
  interface_endpoints               = false
  log_retention_days                = 7
  aws_endpoint_url                  = var.service_endpoint_url
  throwaway                         = true
  load_balancer_deletion_protection = false
  # The emulator speaks plain HTTP on loopback, and moto enforces the policy.
  tls_only_bucket_policy = false
}
