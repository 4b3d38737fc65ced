# Where the instances live: one bucket, objects keyed facility/study/series/sop.dcm,
# encrypted with a customer-managed KMS key, versioned (an overwrite by a
# re-sent instance keeps the previous bytes), never public, TLS only. The same
# key encrypts the registry's tables and the stack's log groups; a second
# bucket keeps the access logs of the first and of the load balancer.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.name
}

# The account administers the key and grants its use through IAM (the receiver
# and API roles name it); CloudWatch Logs may use it for this account's log
# groups only. DynamoDB and S3 use it through the grants they make themselves.
data "aws_iam_policy_document" "key" {
  # In a key policy "*" is this key alone, and the account root administering it
  # is AWS's own default key policy: without it no IAM policy could grant its use.
  # checkov:skip=CKV_AWS_109: see above: the key policy of a customer-managed key.
  # checkov:skip=CKV_AWS_111: see above: the key policy of a customer-managed key.
  # checkov:skip=CKV_AWS_356: see above: the key policy of a customer-managed key.
  statement {
    sid       = "AccountAdministersTheKey"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account}:root"]
    }
  }
  statement {
    sid       = "LogGroupsOfThisAccount"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account}:log-group:*"]
    }
  }
}

resource "aws_kms_key" "instances" {
  description             = "Encrypts the DICOM instances in ${var.bucket_name}, the registry and the logs"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "instances" {
  name          = "alias/${var.bucket_name}"
  target_key_id = aws_kms_key.instances.key_id
}

resource "aws_s3_bucket" "instances" {
  # checkov:skip=CKV_AWS_144: patient images stay in the deployment's region; cross-region replication is a residency decision left to the operator (versioning and PITR are on).
  # checkov:skip=CKV2_AWS_62: nothing consumes object events; the index is written by the receivers themselves.
  bucket        = var.bucket_name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "instances" {
  bucket = aws_s3_bucket.instances.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "instances" {
  bucket                  = aws_s3_bucket.instances.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "instances" {
  bucket = aws_s3_bucket.instances.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "instances" {
  bucket = aws_s3_bucket.instances.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.instances.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "instances" {
  bucket = aws_s3_bucket.instances.id

  rule {
    id     = "archive-instances"
    status = "Enabled"
    filter {}
    transition {
      days          = var.archive_after_days
      storage_class = var.archive_storage_class
    }
    # A version that expires before it would be archived is not archived.
    dynamic "noncurrent_version_transition" {
      for_each = var.archive_after_days < var.noncurrent_version_retention_days ? [1] : []
      content {
        noncurrent_days = var.archive_after_days
        storage_class   = var.archive_storage_class
      }
    }
    # An instance deleted through Noctis (or overwritten by a re-send) stays
    # as a noncurrent version, recoverable, until this expires it: only then
    # is a deletion, such as a patient's erasure request, final.
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }
  }

  # Study zips made for one download (the API writes them under exports/ and
  # hands out a five-minute link) are not records: gone after a day.
  rule {
    id     = "expire-study-exports"
    status = "Enabled"
    filter {
      prefix = "exports/"
    }
    expiration {
      days = 1
    }
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }

  # A receiver that dies mid-instance cannot abort its multipart upload; the
  # modality is never told success for it, so the parts are garbage.
  rule {
    id     = "abort-unfinished-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.instances]
}

data "aws_iam_policy_document" "tls_only" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.instances.arn,
      "${aws_s3_bucket.instances.arn}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "instances" {
  count  = var.tls_only_policy ? 1 : 0
  bucket = aws_s3_bucket.instances.id
  policy = data.aws_iam_policy_document.tls_only.json

  depends_on = [aws_s3_bucket_public_access_block.instances]
}

# Server access logs of the instance bucket (who read or wrote which object) and
# the load balancer's access logs. S3 and the NLB deliver only to SSE-S3 buckets.
resource "aws_s3_bucket" "logs" {
  # checkov:skip=CKV_AWS_18: this is the access-log bucket; logging it into itself would loop.
  # checkov:skip=CKV_AWS_145: S3 server access logs and NLB access logs can only be delivered to SSE-S3 buckets.
  # checkov:skip=CKV_AWS_144: logs stay in the deployment's region with its data; replication is a residency decision left to the operator.
  # checkov:skip=CKV2_AWS_62: nothing consumes events about log objects.
  bucket        = "${var.bucket_name}-logs"
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket                  = aws_s3_bucket.logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    id     = "expire-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = var.log_retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
  }
  rule {
    id     = "abort-unfinished-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
  depends_on = [aws_s3_bucket_versioning.logs]
}

data "aws_iam_policy_document" "logs" {
  statement {
    sid       = "S3ServerAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.logs.arn}/*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
  statement {
    sid       = "LoadBalancerAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.logs.arn}/nlb/*"]
    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
  statement {
    sid       = "LoadBalancerChecksTheBucket"
    actions   = ["s3:GetBucketAcl"]
    resources = [aws_s3_bucket.logs.arn]
    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }
  }
  dynamic "statement" {
    for_each = var.tls_only_policy ? [1] : []
    content {
      sid       = "DenyInsecureTransport"
      effect    = "Deny"
      actions   = ["s3:*"]
      resources = [aws_s3_bucket.logs.arn, "${aws_s3_bucket.logs.arn}/*"]
      principals {
        type        = "*"
        identifiers = ["*"]
      }
      condition {
        test     = "Bool"
        variable = "aws:SecureTransport"
        values   = ["false"]
      }
    }
  }
}

resource "aws_s3_bucket_policy" "logs" {
  bucket     = aws_s3_bucket.logs.id
  policy     = data.aws_iam_policy_document.logs.json
  depends_on = [aws_s3_bucket_public_access_block.logs]
}

resource "aws_s3_bucket_logging" "instances" {
  bucket        = aws_s3_bucket.instances.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "s3-access/"
  depends_on    = [aws_s3_bucket_policy.logs]
}
