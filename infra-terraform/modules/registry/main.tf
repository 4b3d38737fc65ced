# The DynamoDB tables: facilities, users, studies (+ reports), audit, bans, counters.
# This is the schema of core/src/aws/dynamodb/schema.rs, written out for
# Terraform; `make test` applies it to the emulator and runs the AWS adapter
# and a schema comparison against what it created, so the two cannot drift.

locals {
  tables = {
    facilities = { sort_key = false, attributes = [], indexes = {}, ttl = false }
    users      = { sort_key = false, attributes = [], indexes = {}, ttl = false }
    studies = {
      sort_key   = true
      attributes = ["gsi_all", "gsi_facility", "listing_key", "gsi_unsettled", "unsettled_at"]
      # Keys only: an instance write updates the study item without rewriting
      # the listing indexes' copies; the worklist fetches items after the query.
      # `unsettled` is sparse: only instance rows not yet counted by a
      # settlement carry its keys, so the sweep for abandoned ones is small.
      indexes = {
        by_received = { hash = "gsi_all", range = "listing_key", projection = "KEYS_ONLY" }
        by_facility = { hash = "gsi_facility", range = "listing_key", projection = "KEYS_ONLY" }
        unsettled   = { hash = "gsi_unsettled", range = "unsettled_at", projection = "KEYS_ONLY" }
      }
      ttl = false
    }
    audit = {
      sort_key   = true
      attributes = ["gsi_facility", "gsi_actor"]
      indexes = {
        by_facility = { hash = "gsi_facility", range = "sk", projection = "ALL" }
        by_actor    = { hash = "gsi_actor", range = "sk", projection = "ALL" }
      }
      ttl = false
    }
    # Bans expire by themselves: DynamoDB's TTL sweeper removes them.
    bans = { sort_key = false, attributes = [], indexes = {}, ttl = true }
    # Facilities' totals and daily activity, kept apart from the studies so the
    # transaction that adds a settled study to them touches a small table;
    # its receipts expire by TTL.
    counters = { sort_key = true, attributes = [], indexes = {}, ttl = true }
  }
}

resource "aws_dynamodb_table" "this" {
  for_each = local.tables

  name                        = "${var.table_prefix}${each.key}"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  range_key                   = each.value.sort_key ? "sk" : null
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "pk"
    type = "S"
  }

  dynamic "attribute" {
    for_each = concat(each.value.sort_key ? ["sk"] : [], each.value.attributes)
    content {
      name = attribute.value
      type = "S"
    }
  }

  dynamic "global_secondary_index" {
    for_each = each.value.indexes
    content {
      name            = global_secondary_index.key
      hash_key        = global_secondary_index.value.hash
      range_key       = global_secondary_index.value.range
      projection_type = global_secondary_index.value.projection
    }
  }

  dynamic "ttl" {
    for_each = each.value.ttl ? ["expires_epoch"] : []
    content {
      enabled        = true
      attribute_name = ttl.value
    }
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}
