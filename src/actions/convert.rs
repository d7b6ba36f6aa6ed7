//! SDK types → `crate::model` types (SDK types never leave `crate::actions`).

use chrono::{DateTime, Utc};

use crate::model::{CommandInvocation, CommandPluginOutput, CommandSummary};

pub fn time(t: Option<&aws_smithy_types::DateTime>) -> Option<DateTime<Utc>> {
    let t = t?;
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

/// GetCommandInvocation's ISO-8601 *strings* (`""` when not started).
pub fn iso_time(s: Option<&str>) -> Option<DateTime<Utc>> {
    let s = s?.trim();
    if s.is_empty() {
        return None;
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        // some emulators (moto) leave the zone out: the API's times are UTC
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
}

pub fn command(c: &aws_sdk_ssm::types::Command, account_id: &str, region: &str) -> CommandSummary {
    CommandSummary {
        command_id: c.command_id().unwrap_or_default().to_string(),
        account_id: account_id.to_string(),
        region: region.to_string(),
        document_name: c.document_name().unwrap_or_default().to_string(),
        comment: c.comment().unwrap_or_default().to_string(),
        status: c
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        status_details: c.status_details().unwrap_or_default().to_string(),
        requested_at: time(c.requested_date_time()),
        parameters: c
            .parameters()
            .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        instance_ids: c.instance_ids().to_vec(),
        targets: c
            .targets()
            .iter()
            .map(|t| format!("{}={}", t.key().unwrap_or_default(), t.values().join(",")))
            .collect(),
        target_count: c.target_count().max(0) as u32,
        completed_count: c.completed_count().max(0) as u32,
        error_count: c.error_count().max(0) as u32,
        delivery_timed_out_count: c.delivery_timed_out_count().max(0) as u32,
        max_concurrency: c.max_concurrency().unwrap_or_default().to_string(),
        max_errors: c.max_errors().unwrap_or_default().to_string(),
    }
}

pub fn invocation(
    i: &aws_sdk_ssm::types::CommandInvocation,
    account_id: &str,
    region: &str,
) -> CommandInvocation {
    CommandInvocation {
        command_id: i.command_id().unwrap_or_default().to_string(),
        account_id: account_id.to_string(),
        region: region.to_string(),
        instance_id: i.instance_id().unwrap_or_default().to_string(),
        instance_name: i.instance_name().unwrap_or_default().to_string(),
        document_name: i.document_name().unwrap_or_default().to_string(),
        status: i
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        status_details: i.status_details().unwrap_or_default().to_string(),
        requested_at: time(i.requested_date_time()),
        plugins: i
            .command_plugins()
            .iter()
            .map(|p| {
                let output = p.output().unwrap_or_default().to_string();
                CommandPluginOutput {
                    name: p.name().unwrap_or_default().to_string(),
                    status: p
                        .status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    status_details: p.status_details().unwrap_or_default().to_string(),
                    response_code: p.response_code(),
                    started_at: time(p.response_start_date_time()),
                    finished_at: time(p.response_finish_date_time()),
                    truncated: output.chars().count() >= super::output::LIST_OUTPUT_LIMIT,
                    stdout: output,
                    stderr: String::new(),
                    output_url: p.standard_output_url().unwrap_or_default().to_string(),
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_strings_with_and_without_zone() {
        let a = iso_time(Some("2019-02-14T19:26:26.439Z")).unwrap();
        assert_eq!(a.timestamp(), 1_550_172_386);
        let b = iso_time(Some("2019-02-14T19:26:26.439")).unwrap();
        assert_eq!(a, b);
        assert_eq!(iso_time(Some("")), None);
        assert_eq!(iso_time(None), None);
    }
}
