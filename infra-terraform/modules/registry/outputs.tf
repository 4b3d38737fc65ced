output "table_prefix" {
  description = "The prefix the tables were created with (Noctis' aws.table_prefix)."
  value       = var.table_prefix
}

output "table_arns" {
  description = "Table ARN by short name (facilities, users, studies, audit, bans, counters)."
  value       = { for name, table in aws_dynamodb_table.this : name => table.arn }
}

output "table_names" {
  description = "Full table name by short name."
  value       = { for name, table in aws_dynamodb_table.this : name => table.name }
}
