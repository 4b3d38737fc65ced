terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Remote state: an S3 bucket with versioning and a DynamoDB lock table that
  # exist before this root (create them once, by hand or from a bootstrap root).
  # Fill in backend.hcl (see backend.hcl.example) and run
  #   terraform init -backend-config=backend.hcl
  backend "s3" {}
}
