//! The model constraints of every SSM operation the simulator serves, checked by
//! `crate::sim::validate` before the handler runs. Written from the model: botocore
//! `botocore/data/ssm/2014-11-06/service-2.json` (input shapes' `required`, `min`, `max`,
//! `pattern`, `enum`).

use crate::sim::validate::patterns as p;
use crate::sim::validate::{ANY, Check, Check::*, Rule, opt, req};

const INSTANCE_ID: Check = Pattern(p::INSTANCE_ID, p::instance_id);
const PATCH_GROUP: &[Check] = &[Len(1, 256), Pattern(p::PATCH_GROUP, p::patch_group)];
const COMMAND_ID: &[Check] = &[Len(36, 36)];

/// `PatchOrchestratorFilter` lists (DescribeInstancePatches, DescribePatchGroups, ...).
macro_rules! patch_orchestrator_filters {
    () => {
        [
            opt("Filters", &[Items(0, 5)]),
            opt("Filters[].Key", &[Len(1, 128)]),
            opt("Filters[].Values[]", &[Len(1, 256)]),
        ]
    };
}

/// `ComplianceStringFilter` lists.
macro_rules! compliance_filters {
    () => {
        [
            opt("Filters[].Key", &[Len(1, 200)]),
            opt("Filters[].Values", &[Items(1, 20)]),
            opt(
                "Filters[].Type",
                &[Enum(&[
                    "EQUAL",
                    "NOT_EQUAL",
                    "BEGIN_WITH",
                    "LESS_THAN",
                    "GREATER_THAN",
                ])],
            ),
            opt("MaxResults", &[Range(1, 50)]),
        ]
    };
}

/// `CommandFilter` lists and the members ListCommands and ListCommandInvocations share.
macro_rules! command_list {
    () => {
        [
            opt("CommandId", COMMAND_ID),
            opt("InstanceId", &[INSTANCE_ID]),
            opt("MaxResults", &[Range(1, 50)]),
            opt("Filters", &[Items(1, 5)]),
            req(
                "Filters[].key",
                &[Enum(&[
                    "InvokedAfter",
                    "InvokedBefore",
                    "Status",
                    "ExecutionStage",
                    "DocumentName",
                ])],
            ),
            req("Filters[].value", &[Len(1, 128)]),
        ]
    };
}

const DESCRIBE_INSTANCE_INFORMATION: &[Rule] = &[
    req(
        "InstanceInformationFilterList[].key",
        &[Enum(&[
            "InstanceIds",
            "AgentVersion",
            "PingStatus",
            "PlatformTypes",
            "ActivationIds",
            "IamRole",
            "ResourceType",
            "AssociationStatus",
        ])],
    ),
    req("InstanceInformationFilterList[].valueSet", &[Items(1, 100)]),
    opt("InstanceInformationFilterList[].valueSet[]", &[Len(1, ANY)]),
    req("Filters[].Key", &[Len(1, ANY)]),
    req("Filters[].Values", &[Items(1, 100)]),
    opt("Filters[].Values[]", &[Len(1, ANY)]),
    opt("MaxResults", &[Range(5, 50)]),
];

const DESCRIBE_INSTANCE_PATCH_STATES: &[Rule] = &[
    req("InstanceIds", &[Items(0, 50)]),
    opt("InstanceIds[]", &[INSTANCE_ID]),
    opt("MaxResults", &[Range(10, 100)]),
];

const DESCRIBE_INSTANCE_PATCH_STATES_FOR_PATCH_GROUP: &[Rule] = &[
    req("PatchGroup", PATCH_GROUP),
    opt("Filters", &[Items(0, 4)]),
    req("Filters[].Key", &[Len(1, 200)]),
    req("Filters[].Values", &[Items(1, 1)]),
    req(
        "Filters[].Type",
        &[Enum(&["Equal", "NotEqual", "LessThan", "GreaterThan"])],
    ),
    opt("MaxResults", &[Range(10, 100)]),
];

const DESCRIBE_INSTANCE_PATCHES: &[Rule] = &{
    let f = patch_orchestrator_filters!();
    [
        req("InstanceId", &[INSTANCE_ID]),
        f[0],
        f[1],
        f[2],
        opt("MaxResults", &[Range(10, 100)]),
    ]
};

const DESCRIBE_PATCH_GROUPS: &[Rule] = &{
    let f = patch_orchestrator_filters!();
    [f[0], f[1], f[2], opt("MaxResults", &[Range(1, 100)])]
};

const GET_PATCH_BASELINE_FOR_PATCH_GROUP: &[Rule] = &[
    req("PatchGroup", PATCH_GROUP),
    opt(
        "OperatingSystem",
        &[Enum(&[
            "WINDOWS",
            "AMAZON_LINUX",
            "AMAZON_LINUX_2",
            "AMAZON_LINUX_2022",
            "UBUNTU",
            "REDHAT_ENTERPRISE_LINUX",
            "SUSE",
            "CENTOS",
            "ORACLE_LINUX",
            "DEBIAN",
            "MACOS",
            "RASPBIAN",
            "ROCKY_LINUX",
            "ALMA_LINUX",
            "AMAZON_LINUX_2023",
        ])],
    ),
];

const DESCRIBE_MAINTENANCE_WINDOWS: &[Rule] = &[
    opt("Filters", &[Items(0, 5)]),
    opt("Filters[].Key", &[Len(1, 128)]),
    opt("Filters[].Values[]", &[Len(1, 256)]),
    opt("MaxResults", &[Range(10, 100)]),
];

const WINDOW_ID: &[Check] = &[Len(20, 20)];
const EXECUTION_ID: &[Check] = &[Len(36, 36)];

/// DescribeMaintenanceWindowTargets / …Tasks / …Executions: `WindowId` plus the common list.
const DESCRIBE_WINDOW_CHILDREN: &[Rule] = &[
    req("WindowId", WINDOW_ID),
    opt("Filters", &[Items(0, 5)]),
    opt("Filters[].Key", &[Len(1, 128)]),
    opt("Filters[].Values[]", &[Len(1, 256)]),
    opt("MaxResults", &[Range(10, 100)]),
];

const DESCRIBE_EXECUTION_TASKS: &[Rule] = &[
    req("WindowExecutionId", EXECUTION_ID),
    opt("Filters", &[Items(0, 5)]),
    opt("Filters[].Key", &[Len(1, 128)]),
    opt("Filters[].Values[]", &[Len(1, 256)]),
    opt("MaxResults", &[Range(10, 100)]),
];

const DESCRIBE_EXECUTION_TASK_INVOCATIONS: &[Rule] = &[
    req("WindowExecutionId", EXECUTION_ID),
    req("TaskId", EXECUTION_ID),
    opt("Filters", &[Items(0, 5)]),
    opt("Filters[].Key", &[Len(1, 128)]),
    opt("Filters[].Values[]", &[Len(1, 256)]),
    opt("MaxResults", &[Range(10, 100)]),
];

const DESCRIBE_WINDOW_SCHEDULE: &[Rule] = &[
    opt("WindowId", WINDOW_ID),
    opt("Targets", &[Items(0, 5)]),
    opt("Targets[].Key", &[Len(1, 163)]),
    opt("Targets[].Values", &[Items(0, 50)]),
    opt("ResourceType", &[Enum(&["INSTANCE", "RESOURCE_GROUP"])]),
    opt("Filters", &[Items(0, 5)]),
    opt("MaxResults", &[Range(1, i64::MAX)]),
];

const DESCRIBE_WINDOWS_FOR_TARGET: &[Rule] = &[
    req("Targets", &[Items(0, 5)]),
    opt("Targets[].Key", &[Len(1, 163)]),
    opt("Targets[].Values", &[Items(0, 50)]),
    req("ResourceType", &[Enum(&["INSTANCE", "RESOURCE_GROUP"])]),
    opt("MaxResults", &[Range(1, i64::MAX)]),
];

const GET_PATCH_BASELINE: &[Rule] = &[req("BaselineId", &[Len(20, 128)])];

const OPERATING_SYSTEMS: &[&str] = &[
    "WINDOWS",
    "AMAZON_LINUX",
    "AMAZON_LINUX_2",
    "AMAZON_LINUX_2022",
    "UBUNTU",
    "REDHAT_ENTERPRISE_LINUX",
    "SUSE",
    "CENTOS",
    "ORACLE_LINUX",
    "DEBIAN",
    "MACOS",
    "RASPBIAN",
    "ROCKY_LINUX",
    "ALMA_LINUX",
    "AMAZON_LINUX_2023",
];

const GET_DEFAULT_PATCH_BASELINE: &[Rule] = &[opt("OperatingSystem", &[Enum(OPERATING_SYSTEMS)])];

const DESCRIBE_ASSOCIATION_EXECUTIONS: &[Rule] = &[
    req("AssociationId", &[]),
    opt("Filters", &[Items(1, ANY)]),
    req(
        "Filters[].Key",
        &[Enum(&["ExecutionId", "Status", "CreatedTime"])],
    ),
    req("Filters[].Value", &[Len(1, ANY)]),
    req(
        "Filters[].Type",
        &[Enum(&["EQUAL", "LESS_THAN", "GREATER_THAN"])],
    ),
    opt("MaxResults", &[Range(1, 50)]),
];

const LIST_ASSOCIATIONS: &[Rule] = &[
    opt("AssociationFilterList", &[Items(1, ANY)]),
    req(
        "AssociationFilterList[].key",
        &[Enum(&[
            "InstanceId",
            "Name",
            "AssociationId",
            "AssociationStatusName",
            "LastExecutedBefore",
            "LastExecutedAfter",
            "AssociationName",
            "ResourceGroupName",
            "CloudConnectorId",
        ])],
    ),
    req("AssociationFilterList[].value", &[Len(1, ANY)]),
    opt("MaxResults", &[Range(1, 50)]),
];

const LIST_TAGS_FOR_RESOURCE: &[Rule] = &[
    req(
        "ResourceType",
        &[Enum(&[
            "Document",
            "ManagedInstance",
            "MaintenanceWindow",
            "Parameter",
            "PatchBaseline",
            "OpsItem",
            "OpsMetadata",
            "Automation",
            "Association",
            "CloudConnector",
        ])],
    ),
    req("ResourceId", &[]),
];

const LIST_COMPLIANCE_SUMMARIES: &[Rule] = &compliance_filters!();

const LIST_COMPLIANCE_ITEMS: &[Rule] = &{
    let f = compliance_filters!();
    [
        f[0],
        f[1],
        f[2],
        f[3],
        opt("ResourceIds", &[Items(1, ANY)]),
        opt("ResourceIds[]", &[Len(1, 100)]),
        opt("ResourceTypes", &[Items(1, ANY)]),
        opt("ResourceTypes[]", &[Len(1, 50)]),
    ]
};

const LIST_INVENTORY_ENTRIES: &[Rule] = &[
    req("InstanceId", &[INSTANCE_ID]),
    req(
        "TypeName",
        &[
            Len(1, 100),
            Pattern(p::INVENTORY_TYPE_NAME, p::inventory_type_name),
        ],
    ),
    opt("Filters", &[Items(1, 5)]),
    req("Filters[].Key", &[Len(1, 200)]),
    req("Filters[].Values", &[Items(1, 40)]),
    opt(
        "Filters[].Type",
        &[Enum(&[
            "Equal",
            "NotEqual",
            "BeginWith",
            "LessThan",
            "GreaterThan",
            "Exists",
        ])],
    ),
    opt("MaxResults", &[Range(1, 50)]),
];

const SEND_COMMAND: &[Rule] = &[
    opt("InstanceIds", &[Items(0, 50)]),
    opt("InstanceIds[]", &[INSTANCE_ID]),
    opt("Targets", &[Items(0, 5)]),
    opt(
        "Targets[].Key",
        &[Len(1, 163), Pattern(p::TARGET_KEY, p::target_key)],
    ),
    opt("Targets[].Values", &[Items(0, 50)]),
    req("DocumentName", &[Pattern(p::DOCUMENT_ARN, p::document_arn)]),
    opt(
        "DocumentVersion",
        &[Pattern(p::DOCUMENT_VERSION, p::document_version)],
    ),
    opt("DocumentHash", &[Len(0, 256)]),
    opt("DocumentHashType", &[Enum(&["Sha256", "Sha1"])]),
    opt("TimeoutSeconds", &[Range(30, 2_592_000)]),
    opt("Comment", &[Len(0, 100)]),
    opt("OutputS3Region", &[Len(3, 20)]),
    opt("OutputS3BucketName", &[Len(3, 63)]),
    opt("OutputS3KeyPrefix", &[Len(0, 500)]),
    opt(
        "MaxConcurrency",
        &[Len(1, 7), Pattern(p::MAX_CONCURRENCY, p::max_concurrency)],
    ),
    opt(
        "MaxErrors",
        &[Len(1, 7), Pattern(p::MAX_ERRORS, p::max_errors)],
    ),
    opt(
        "NotificationConfig.NotificationEvents[]",
        &[Enum(&[
            "All",
            "InProgress",
            "Success",
            "TimedOut",
            "Cancelled",
            "Failed",
        ])],
    ),
    opt(
        "NotificationConfig.NotificationType",
        &[Enum(&["Command", "Invocation"])],
    ),
    opt(
        "CloudWatchOutputConfig.CloudWatchLogGroupName",
        &[Len(1, 512)],
    ),
];

const LIST_COMMANDS: &[Rule] = &command_list!();

const GET_COMMAND_INVOCATION: &[Rule] = &[
    req("CommandId", COMMAND_ID),
    req("InstanceId", &[INSTANCE_ID]),
    opt("PluginName", &[Len(4, ANY)]),
];

const CANCEL_COMMAND: &[Rule] = &[
    req("CommandId", COMMAND_ID),
    opt("InstanceIds", &[Items(0, 50)]),
    opt("InstanceIds[]", &[INSTANCE_ID]),
];

const LIST_DOCUMENTS: &[Rule] = &[
    opt("DocumentFilterList", &[Items(1, ANY)]),
    req(
        "DocumentFilterList[].key",
        &[Enum(&["Name", "Owner", "PlatformTypes", "DocumentType"])],
    ),
    req("DocumentFilterList[].value", &[Len(1, ANY)]),
    opt("Filters", &[Items(0, 6)]),
    opt("Filters[].Key", &[Len(1, 128)]),
    opt("Filters[].Values[]", &[Len(1, 256)]),
    opt("MaxResults", &[Range(1, 50)]),
];

const DESCRIBE_DOCUMENT: &[Rule] = &[
    req("Name", &[Pattern(p::DOCUMENT_ARN, p::document_arn)]),
    opt(
        "DocumentVersion",
        &[Pattern(p::DOCUMENT_VERSION, p::document_version)],
    ),
    opt("DocumentFormat", &[Enum(&["YAML", "JSON", "TEXT"])]),
];

/// The rules of `op` (none for an operation the simulator does not serve).
pub fn of(op: &str) -> &'static [Rule] {
    match op {
        "DescribeInstanceInformation" => DESCRIBE_INSTANCE_INFORMATION,
        "DescribeInstancePatchStates" => DESCRIBE_INSTANCE_PATCH_STATES,
        "DescribeInstancePatchStatesForPatchGroup" => {
            DESCRIBE_INSTANCE_PATCH_STATES_FOR_PATCH_GROUP
        }
        "DescribeInstancePatches" => DESCRIBE_INSTANCE_PATCHES,
        "DescribePatchGroups" | "DescribePatchBaselines" => DESCRIBE_PATCH_GROUPS,
        "GetPatchBaselineForPatchGroup" => GET_PATCH_BASELINE_FOR_PATCH_GROUP,
        "DescribeMaintenanceWindows" => DESCRIBE_MAINTENANCE_WINDOWS,
        "DescribeMaintenanceWindowTargets"
        | "DescribeMaintenanceWindowTasks"
        | "DescribeMaintenanceWindowExecutions" => DESCRIBE_WINDOW_CHILDREN,
        "DescribeMaintenanceWindowExecutionTasks" => DESCRIBE_EXECUTION_TASKS,
        "DescribeMaintenanceWindowExecutionTaskInvocations" => DESCRIBE_EXECUTION_TASK_INVOCATIONS,
        "DescribeMaintenanceWindowSchedule" => DESCRIBE_WINDOW_SCHEDULE,
        "DescribeMaintenanceWindowsForTarget" => DESCRIBE_WINDOWS_FOR_TARGET,
        "GetPatchBaseline" => GET_PATCH_BASELINE,
        "GetDefaultPatchBaseline" => GET_DEFAULT_PATCH_BASELINE,
        "DescribeAssociationExecutions" => DESCRIBE_ASSOCIATION_EXECUTIONS,
        "ListAssociations" => LIST_ASSOCIATIONS,
        "ListTagsForResource" => LIST_TAGS_FOR_RESOURCE,
        "ListComplianceSummaries" | "ListResourceComplianceSummaries" => LIST_COMPLIANCE_SUMMARIES,
        "ListComplianceItems" => LIST_COMPLIANCE_ITEMS,
        "ListInventoryEntries" => LIST_INVENTORY_ENTRIES,
        "SendCommand" => SEND_COMMAND,
        "ListCommands" | "ListCommandInvocations" => LIST_COMMANDS,
        "GetCommandInvocation" => GET_COMMAND_INVOCATION,
        "CancelCommand" => CANCEL_COMMAND,
        "ListDocuments" => LIST_DOCUMENTS,
        "DescribeDocument" | "GetDocument" => DESCRIBE_DOCUMENT,
        _ => &[],
    }
}
