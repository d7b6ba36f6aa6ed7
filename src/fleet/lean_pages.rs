//! The two pages a refresh reads by the thousand — DescribeInstanceInformation and
//! DescribeInstancePatchStates, 980 of each for 40,000 nodes — decoded with the fields the
//! fleet reads, by a typed `serde_json` pass, instead of the SDK's schema-driven decoder.
//!
//! Why (#13): the 40,000-node refresh is CPU-bound on a 2-core host, and the SDK's decoder was
//! the largest part of the client's CPU: about 21,000 instructions per `InstanceInformation`
//! and 17,000 per `InstancePatchState` (callgrind, `benches/instructions.sh`), a linear
//! search of the shape's members per JSON key, a dynamic call per value, an allocation per
//! string, a map per node's association counts — for fields the fleet never reads.
//!
//! How: [`LeanPages`] is a client interceptor, registered on every SSM client
//! (`config::Builder::interceptor(LeanPages)`). Before a call of one of the two operations
//! executes (it reads the operation's name from the call's metadata), it puts a `Lean` response
//! deserializer in front of the operation's own (which `Lean` takes from the operation's
//! runtime plugin); every other operation is left alone. A client interceptor, not a per-call
//! `.customize()`: a configuration override is merged into the runtime components of every
//! call that carries one. `Lean`
//! decodes a success answer into the SDK's own output type, with the members listed below,
//! and hands everything else to the SDK's deserializer, unchanged:
//! every error answer (so error codes, messages and retry classification are the SDK's), and
//! any success body it does not take exactly — invalid JSON or UTF-8, a duplicate key, a
//! value of another type than the model's, a timestamp sent as a string, a missing required
//! member. So an answer either decodes as the SDK would have decoded the members read, or
//! the SDK decodes it (tests compare the two on the simulator's pages and on edge cases).
//! The other members are skipped, not decoded: a malformed value in a member the fleet does
//! not read no longer fails the page.
//!
//! Members decoded (everything `convert::node_from_owned_info`, `convert::apply_patch_state`
//! and the tag and patch-run logic read):
//! - `InstanceInformation`: InstanceId, PingStatus, LastPingDateTime, AgentVersion,
//!   IsLatestVersion, PlatformType, PlatformName, PlatformVersion, IamRole,
//!   RegistrationDate, ResourceType, Name, IPAddress, ComputerName;
//! - `InstancePatchState`: InstanceId, PatchGroup, BaselineId, the counts, Operation,
//!   OperationStartTime, OperationEndTime, RebootOption;
//! - both pages' NextToken.

use std::borrow::Cow;
use std::fmt;
use std::sync::LazyLock;

use aws_sdk_ssm::operation::describe_instance_information::DescribeInstanceInformationOutput;
use aws_sdk_ssm::operation::describe_instance_patch_states::DescribeInstancePatchStatesOutput;
use aws_sdk_ssm::types::{
    InstanceInformation, InstancePatchState, PatchOperationType, PingStatus, PlatformType,
    RebootOption, ResourceType,
};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, Error, Output,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata, OrchestratorError};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::client::ser_de::{DeserializeResponse, SharedResponseDeserializer};
use aws_smithy_types::DateTime;
use aws_smithy_types::config_bag::{ConfigBag, FrozenLayer};
use serde::Deserialize;

/// Which page an interceptor decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Page {
    InstanceInformation,
    PatchStates,
}

/// The client interceptor that installs `Lean` for the two operations' calls:
/// `aws_sdk_ssm::config::Builder::from(..).interceptor(LeanPages)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct LeanPages;

impl LeanPages {
    /// The page a call reads, from the operation's metadata (None: another operation).
    fn page(cfg: &ConfigBag) -> Option<Page> {
        match cfg.load::<Metadata>()?.name() {
            "DescribeInstanceInformation" => Some(Page::InstanceInformation),
            "DescribeInstancePatchStates" => Some(Page::PatchStates),
            _ => None,
        }
    }
}

impl Intercept for LeanPages {
    fn name(&self) -> &'static str {
        "ssmdeck::LeanPages"
    }

    // The interceptor state layer is the bag's top, so the orchestrator loads `Lean` from it
    // when the answer arrives, not the deserializer the operation's configuration stored.
    // Before serialization, not before execution: a client interceptor's
    // `read_before_execution` runs before the operation's runtime plugin has put its
    // metadata (the operation's name) in the bag.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(page) = Self::page(cfg)
            && sdk_deserializer(page).is_some()
        {
            cfg.interceptor_state()
                .store_put(SharedResponseDeserializer::new(Lean { page }));
        }
        Ok(())
    }
}

/// The operation's own configuration, as its runtime plugin gives it to every call of it
/// (built once): where the SDK's deserializer for the page is.
fn sdk_layer(page: Page) -> Option<&'static FrozenLayer> {
    use aws_sdk_ssm::operation::describe_instance_information::DescribeInstanceInformation;
    use aws_sdk_ssm::operation::describe_instance_patch_states::DescribeInstancePatchStates;
    use aws_smithy_runtime_api::client::runtime_plugin::RuntimePlugin;
    static INFO: LazyLock<Option<FrozenLayer>> =
        LazyLock::new(|| DescribeInstanceInformation::new().config());
    static STATES: LazyLock<Option<FrozenLayer>> =
        LazyLock::new(|| DescribeInstancePatchStates::new().config());
    match page {
        Page::InstanceInformation => INFO.as_ref(),
        Page::PatchStates => STATES.as_ref(),
    }
}

/// The SDK's deserializer for the page's operation.
fn sdk_deserializer(page: Page) -> Option<&'static SharedResponseDeserializer> {
    sdk_layer(page)?.load::<SharedResponseDeserializer>()
}

/// A response deserializer that decodes one page kind's success answers itself and hands
/// every other answer to the SDK's.
#[derive(Debug)]
struct Lean {
    page: Page,
}

impl DeserializeResponse for Lean {
    fn deserialize_nonstreaming_with_config(
        &self,
        response: &HttpResponse,
        cfg: &ConfigBag,
    ) -> Result<Output, OrchestratorError<Error>> {
        if response.status().is_success()
            && let Some(body) = response.body().bytes()
            && let Some(out) = decode(self.page, body)
        {
            return Ok(out);
        }
        match sdk_deserializer(self.page) {
            Some(sdk) => sdk.deserialize_nonstreaming_with_config(response, cfg),
            // not reached: the interceptor installs `Lean` only where the SDK's is known
            None => Err(OrchestratorError::other(
                "ssmdeck: the SDK's deserializer for this page is missing",
            )),
        }
    }
}

fn decode(page: Page, body: &[u8]) -> Option<Output> {
    match page {
        Page::InstanceInformation => instance_information_page(body).map(Output::erase),
        Page::PatchStates => patch_states_page(body).map(Output::erase),
    }
}

/// A DescribeInstanceInformation answer, or `None` where the SDK must decide.
pub fn instance_information_page(body: &[u8]) -> Option<DescribeInstanceInformationOutput> {
    let page: InfoPage<'_> = serde_json::from_str(utf8(body)?).ok()?;
    let mut out = DescribeInstanceInformationOutput::builder().build();
    out.instance_information_list = page.instance_information_list.map(|l| l.0);
    out.next_token = page.next_token;
    Some(out)
}

/// A DescribeInstancePatchStates answer, or `None` where the SDK must decide (a state
/// without one of the model's required members among them).
pub fn patch_states_page(body: &[u8]) -> Option<DescribeInstancePatchStatesOutput> {
    let page: StatesPage<'_> = serde_json::from_str(utf8(body)?).ok()?;
    let mut out = DescribeInstancePatchStatesOutput::builder().build();
    out.instance_patch_states = page.instance_patch_states.map(|l| l.0);
    out.next_token = page.next_token;
    Some(out)
}

impl From<Info<'_>> for InstanceInformation {
    fn from(i: Info<'_>) -> Self {
        // the SDK types are `non_exhaustive` with public members: one empty value filled in
        // place (a chain of by-value builder setters copies the whole builder at each step)
        let mut o = InstanceInformation::builder().build();
        o.instance_id = i.instance_id;
        o.ping_status = i.ping_status.map(|s| PingStatus::from(&*s));
        o.last_ping_date_time = i.last_ping_date_time.map(|t| t.0);
        o.agent_version = i.agent_version;
        o.is_latest_version = i.is_latest_version;
        o.platform_type = i.platform_type.map(|s| PlatformType::from(&*s));
        o.platform_name = i.platform_name;
        o.platform_version = i.platform_version;
        o.iam_role = i.iam_role;
        o.registration_date = i.registration_date.map(|t| t.0);
        o.resource_type = i.resource_type.map(|s| ResourceType::from(&*s));
        o.name = i.name;
        o.ip_address = i.ip_address;
        o.computer_name = i.computer_name;
        o
    }
}

impl TryFrom<State<'_>> for InstancePatchState {
    type Error = aws_smithy_types::error::operation::BuildError;

    fn try_from(s: State<'_>) -> Result<Self, Self::Error> {
        // required members through the builder (it refuses a state without one), the rest
        // in place
        let mut o = InstancePatchState::builder()
            .set_instance_id(s.instance_id)
            .set_patch_group(s.patch_group)
            .set_baseline_id(s.baseline_id)
            .set_operation(s.operation.map(|o| PatchOperationType::from(&*o)))
            .set_operation_start_time(s.operation_start_time.map(|t| t.0))
            .set_operation_end_time(s.operation_end_time.map(|t| t.0))
            .build()?;
        // the model's non-null counts are 0 when absent, as the SDK's builder makes them
        o.installed_count = s.installed_count.unwrap_or_default();
        o.installed_other_count = s.installed_other_count.unwrap_or_default();
        o.installed_pending_reboot_count = s.installed_pending_reboot_count;
        o.installed_rejected_count = s.installed_rejected_count;
        o.missing_count = s.missing_count.unwrap_or_default();
        o.failed_count = s.failed_count.unwrap_or_default();
        o.not_applicable_count = s.not_applicable_count.unwrap_or_default();
        o.critical_non_compliant_count = s.critical_non_compliant_count;
        o.security_non_compliant_count = s.security_non_compliant_count;
        o.other_non_compliant_count = s.other_non_compliant_count;
        o.reboot_option = s.reboot_option.map(|r| RebootOption::from(&*r));
        Ok(o)
    }
}

/// A page's list, each element converted to the SDK's type as it is read, into room for a
/// full page (no intermediate list, no regrowth copying 50 large elements).
struct Items<T, W>(Vec<T>, std::marker::PhantomData<W>);

impl<'de, T, W> Deserialize<'de> for Items<T, W>
where
    W: Deserialize<'de>,
    T: TryFrom<W>,
    T::Error: fmt::Display,
{
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T, W>(std::marker::PhantomData<(T, W)>);
        impl<'de, T, W> serde::de::Visitor<'de> for V<T, W>
        where
            W: Deserialize<'de>,
            T: TryFrom<W>,
            T::Error: fmt::Display,
        {
            type Value = Items<T, W>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                // a page holds at most 50 (the API's MaxResults)
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).clamp(50, 1000));
                while let Some(w) = seq.next_element::<W>()? {
                    out.push(T::try_from(w).map_err(serde::de::Error::custom)?);
                }
                Ok(Items(out, std::marker::PhantomData))
            }
        }
        d.deserialize_seq(V(std::marker::PhantomData))
    }
}

/// The body as text, validated once (serde_json then reads its strings without validating
/// each again).
fn utf8(body: &[u8]) -> Option<&str> {
    std::str::from_utf8(body).ok()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InfoPage<'a> {
    #[serde(borrow)]
    instance_information_list: Option<Items<InstanceInformation, Info<'a>>>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Info<'a> {
    instance_id: Option<String>,
    #[serde(borrow)]
    ping_status: Option<Cow<'a, str>>,
    last_ping_date_time: Option<Epoch>,
    agent_version: Option<String>,
    is_latest_version: Option<bool>,
    #[serde(borrow)]
    platform_type: Option<Cow<'a, str>>,
    platform_name: Option<String>,
    platform_version: Option<String>,
    iam_role: Option<String>,
    registration_date: Option<Epoch>,
    #[serde(borrow)]
    resource_type: Option<Cow<'a, str>>,
    name: Option<String>,
    #[serde(rename = "IPAddress")]
    ip_address: Option<String>,
    computer_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StatesPage<'a> {
    #[serde(borrow)]
    instance_patch_states: Option<Items<InstancePatchState, State<'a>>>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct State<'a> {
    instance_id: Option<String>,
    patch_group: Option<String>,
    baseline_id: Option<String>,
    installed_count: Option<i32>,
    installed_other_count: Option<i32>,
    installed_pending_reboot_count: Option<i32>,
    installed_rejected_count: Option<i32>,
    missing_count: Option<i32>,
    failed_count: Option<i32>,
    not_applicable_count: Option<i32>,
    critical_non_compliant_count: Option<i32>,
    security_non_compliant_count: Option<i32>,
    other_non_compliant_count: Option<i32>,
    #[serde(borrow)]
    operation: Option<Cow<'a, str>>,
    operation_start_time: Option<Epoch>,
    operation_end_time: Option<Epoch>,
    #[serde(borrow)]
    reboot_option: Option<Cow<'a, str>>,
}

/// An awsJson1_1 timestamp: epoch seconds as a JSON number, read as the SDK reads it — an
/// integer with `DateTime::from_secs`, a fraction or exponent with `from_secs_f64` (parsed
/// correctly rounded: serde_json's `float_roundtrip`, as `str::parse`). A string is refused
/// (the SDK decides then).
struct Epoch(DateTime);

impl<'de> Deserialize<'de> for Epoch {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Epoch;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("epoch seconds")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Epoch, E> {
                Ok(Epoch(DateTime::from_secs(v)))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Epoch, E> {
                i64::try_from(v)
                    .map(|v| Epoch(DateTime::from_secs(v)))
                    .map_err(|_| E::custom("epoch seconds overflow"))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Epoch, E> {
                Ok(Epoch(DateTime::from_secs_f64(v)))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    //! The lean decoding against the SDK's on the same answers: the members read must be
    //! equal, and what `Lean` refuses must come back exactly as the SDK decodes it.
    use std::sync::{Arc, Mutex};

    use aws_sdk_ssm::config::{BehaviorVersion, Credentials, Region};
    use aws_sdk_ssm::error::ProvideErrorMetadata;
    use aws_smithy_runtime_api::client::http::{
        HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
    };
    use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::retry::RetryConfig;

    use super::*;

    /// Answers every request with one status and body.
    #[derive(Clone, Debug)]
    struct Canned(Arc<Mutex<(u16, Vec<u8>)>>);

    impl HttpConnector for Canned {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            let (status, body) = self.0.lock().unwrap().clone();
            let mut response = HttpResponse::new(status.try_into().unwrap(), SdkBody::from(body));
            response
                .headers_mut()
                .insert("content-type", "application/x-amz-json-1.1");
            HttpConnectorFuture::ready(Ok(response))
        }
    }

    impl HttpClient for Canned {
        fn http_connector(
            &self,
            _settings: &HttpConnectorSettings,
            _components: &RuntimeComponents,
        ) -> SharedHttpConnector {
            SharedHttpConnector::new(self.clone())
        }
    }

    /// Two clients answered the same: the SDK's decoding, and the fleet's (with [`LeanPages`]).
    fn clients(status: u16, body: &[u8]) -> (aws_sdk_ssm::Client, aws_sdk_ssm::Client) {
        let canned = Canned(Arc::new(Mutex::new((status, body.to_vec()))));
        let conf = aws_sdk_ssm::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .endpoint_url("http://127.0.0.1:9")
            .retry_config(RetryConfig::disabled())
            .http_client(canned)
            .build();
        let lean = conf.to_builder().interceptor(LeanPages).build();
        (
            aws_sdk_ssm::Client::from_conf(conf),
            aws_sdk_ssm::Client::from_conf(lean),
        )
    }

    /// The members `Lean` decodes, from any `InstanceInformation`.
    fn info_read(i: &InstanceInformation) -> InstanceInformation {
        let mut o = InstanceInformation::builder().build();
        o.instance_id = i.instance_id.clone();
        o.ping_status = i.ping_status.clone();
        o.last_ping_date_time = i.last_ping_date_time;
        o.agent_version = i.agent_version.clone();
        o.is_latest_version = i.is_latest_version;
        o.platform_type = i.platform_type.clone();
        o.platform_name = i.platform_name.clone();
        o.platform_version = i.platform_version.clone();
        o.iam_role = i.iam_role.clone();
        o.registration_date = i.registration_date;
        o.resource_type = i.resource_type.clone();
        o.name = i.name.clone();
        o.ip_address = i.ip_address.clone();
        o.computer_name = i.computer_name.clone();
        o
    }

    /// The members `Lean` decodes, from any `InstancePatchState`.
    fn state_read(s: &InstancePatchState) -> InstancePatchState {
        let mut o = s.clone();
        o.snapshot_id = None;
        o.install_override_list = None;
        o.owner_information = None;
        o.unreported_not_applicable_count = None;
        o.available_security_update_count = None;
        o.last_no_reboot_install_operation_time = None;
        o
    }

    /// An SDK error as the caller sees it: code, message and the whole chain.
    fn error_text<E, R>(e: &aws_sdk_ssm::error::SdkError<E, R>) -> String
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: fmt::Debug,
    {
        format!(
            "{:?} {:?} {}",
            e.code(),
            e.message(),
            aws_smithy_types::error::display::DisplayErrorContext(e)
        )
    }

    type InfoResult = Result<(Option<Vec<InstanceInformation>>, Option<String>), String>;

    /// One DescribeInstanceInformation answer, decoded by the SDK and by `Lean`: the members
    /// read of each, or the error each gives (code, message).
    async fn both_info(status: u16, body: &str) -> (InfoResult, InfoResult) {
        let (ssm, lean_ssm) = clients(status, body.as_bytes());
        let project = |r: Result<DescribeInstanceInformationOutput, _>| -> InfoResult {
            match r {
                Ok(o) => Ok((
                    o.instance_information_list
                        .map(|l| l.iter().map(info_read).collect()),
                    o.next_token,
                )),
                Err(e) => Err(error_text(&e)),
            }
        };
        let sdk = project(ssm.describe_instance_information().send().await);
        let lean = project(lean_ssm.describe_instance_information().send().await);
        (sdk, lean)
    }

    type StatesResult = Result<(Option<Vec<InstancePatchState>>, Option<String>), String>;

    async fn both_states(status: u16, body: &str) -> (StatesResult, StatesResult) {
        let (ssm, lean_ssm) = clients(status, body.as_bytes());
        let project = |r: Result<DescribeInstancePatchStatesOutput, _>| -> StatesResult {
            match r {
                Ok(o) => Ok((
                    o.instance_patch_states
                        .map(|l| l.iter().map(state_read).collect()),
                    o.next_token,
                )),
                Err(e) => Err(error_text(&e)),
            }
        };
        let sdk = project(
            ssm.describe_instance_patch_states()
                .instance_ids("i-0")
                .send()
                .await,
        );
        let lean = project(
            lean_ssm
                .describe_instance_patch_states()
                .instance_ids("i-0")
                .send()
                .await,
        );
        (sdk, lean)
    }

    /// Every shape an answer's members take that `Lean` decodes itself: escapes (a terminal
    /// escape among them), non-ASCII text, null and absent members, members it skips
    /// (objects, lists, numbers, unknown members), integer, fraction and exponent
    /// timestamps, enum values the model does not list.
    const INFO_PAGE: &str = r#"{"InstanceInformationList":[
        {"InstanceId":"i-0a","PingStatus":"Online","LastPingDateTime":1796174841.786,
         "AgentVersion":"3.3.1611.0","IsLatestVersion":true,"PlatformType":"Linux",
         "PlatformName":"Amazon Linux","PlatformVersion":"2023","IamRole":"",
         "RegistrationDate":1718699305,"ResourceType":"EC2Instance","Name":"",
         "IPAddress":"10.0.0.1","ComputerName":"web-1.ec2.internal",
         "AssociationStatus":"Success","LastAssociationExecutionDate":1796173567.931,
         "AssociationOverview":{"DetailedStatus":"Success",
            "InstanceAssociationStatusAggregatedCount":{"Success":2}},
         "SourceId":"i-0a","SourceType":"AWS::EC2::Instance","Unknown":[1,{"a":null}]},
        {"InstanceId":"mi-0b","PingStatus":"Hibernating","LastPingDateTime":1.7e9,
         "PlatformType":"MacOS","PlatformName":"caf\u00e9 \"quoted\" \\ back","Name":null,
         "ComputerName":"evil\u001b]0;pwned\u0007\u001b[2J-host","ResourceType":"ManagedInstance",
         "IamRole":"service-role/AmazonEC2RunCommandRoleForManagedInstances",
         "RegistrationDate":-1.5,"IsLatestVersion":false,"IPAddress":"fe80::1"},
        {"InstanceId":"i-0c","PingStatus":"ConnectionLost","PlatformType":"Windows",
         "ResourceType":"SomethingNew","Name":"\u540d前","ComputerName":"EC2AMAZ-ABC1234"},
        {}
    ],"NextToken":"AAAA=="}"#;

    #[tokio::test]
    async fn instance_pages_decode_the_members_read_as_the_sdk_does() {
        let (sdk, lean) = both_info(200, INFO_PAGE).await;
        let (list, token) = sdk.clone().expect("the SDK reads the page");
        assert_eq!(list.as_ref().map(Vec::len), Some(4));
        assert_eq!(token.as_deref(), Some("AAAA=="));
        assert_eq!(lean, sdk);
        // decoded by `Lean`, not handed to the SDK
        assert!(instance_information_page(INFO_PAGE.as_bytes()).is_some());
        // what the fleet makes of it
        let list = lean.unwrap().0.unwrap();
        assert_eq!(
            list[1].computer_name.as_deref(),
            Some("evil\u{1b}]0;pwned\u{7}\u{1b}[2J-host")
        );
        assert_eq!(list[1].ping_status, Some(PingStatus::from("Hibernating")));
        assert_eq!(
            list[0].last_ping_date_time,
            Some(DateTime::from_secs_f64(1796174841.786))
        );
    }

    /// The one difference: a member the fleet does not read no longer fails the page.
    #[tokio::test]
    async fn a_malformed_member_the_fleet_does_not_read_does_not_fail_the_page() {
        let body = r#"{"InstanceInformationList":[{"InstanceId":"i-1",
            "LastAssociationExecutionDate":"not a timestamp"}]}"#;
        let (sdk, lean) = both_info(200, body).await;
        assert!(sdk.is_err(), "the SDK refuses the page: {sdk:?}");
        let (list, _) = lean.expect("Lean reads it");
        assert_eq!(list.unwrap()[0].instance_id.as_deref(), Some("i-1"));
    }

    #[tokio::test]
    async fn a_page_lean_does_not_take_is_the_sdks_answer() {
        for (why, body) in [
            (
                "a timestamp as a string",
                r#"{"InstanceInformationList":[{"InstanceId":"i-1","LastPingDateTime":"1700000000"}]}"#,
            ),
            (
                "a duplicate member",
                r#"{"InstanceInformationList":[{"InstanceId":"i-1","InstanceId":"i-2"}]}"#,
            ),
            (
                "a raw control character",
                "{\"InstanceInformationList\":[{\"InstanceId\":\"i-\u{1}1\"}]}",
            ),
            (
                "another type",
                r#"{"InstanceInformationList":[{"InstanceId":"i-1","IsLatestVersion":"yes"}]}"#,
            ),
            (
                "a null in the list",
                r#"{"InstanceInformationList":[null]}"#,
            ),
            ("trailing text", r#"{"InstanceInformationList":[]} x"#),
            ("not JSON", "<html>"),
            ("an empty body", ""),
        ] {
            assert!(
                instance_information_page(body.as_bytes()).is_none(),
                "{why}"
            );
            let (sdk, lean) = both_info(200, body).await;
            assert_eq!(lean, sdk, "{why}");
        }
        // bytes that are not UTF-8
        let mut body = br#"{"InstanceInformationList":[{"InstanceId":"i-"#.to_vec();
        body.extend([0xff, 0xfe]);
        body.extend(br#""}]}"#);
        assert!(instance_information_page(&body).is_none());
    }

    #[tokio::test]
    async fn error_answers_are_the_sdks_errors() {
        for (status, body, code) in [
            (
                400,
                r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
                "ThrottlingException",
            ),
            (
                400,
                r#"{"__type":"com.amazonaws.ssm#InvalidNextToken","Message":"bad token"}"#,
                "InvalidNextToken",
            ),
            (
                500,
                r#"{"__type":"InternalServerError","Message":"oops"}"#,
                "InternalServerError",
            ),
            (
                403,
                r#"{"__type":"AccessDeniedException","Message":"no"}"#,
                "AccessDeniedException",
            ),
        ] {
            let (sdk, lean) = both_info(status, body).await;
            assert!(sdk.as_ref().is_err_and(|e| e.contains(code)), "{sdk:?}");
            assert_eq!(lean, sdk);
            let (sdk, lean) = both_states(status, body).await;
            assert!(sdk.as_ref().is_err_and(|e| e.contains(code)), "{sdk:?}");
            assert_eq!(lean, sdk);
        }
    }

    const STATES_PAGE: &str = r#"{"InstancePatchStates":[
        {"InstanceId":"i-0a","PatchGroup":"Production","BaselineId":"pb-0123456789abcdef0",
         "SnapshotId":"4710547f-3309-48c6-a30d-ea824abff19b","OwnerInformation":"",
         "InstalledCount":427,"InstalledOtherCount":15,"InstalledPendingRebootCount":0,
         "InstalledRejectedCount":0,"MissingCount":1,"FailedCount":1,
         "UnreportedNotApplicableCount":0,"NotApplicableCount":21,
         "OperationStartTime":1796140420.931,"OperationEndTime":1796140507,
         "Operation":"Scan","RebootOption":"RebootIfNeeded","CriticalNonCompliantCount":1,
         "SecurityNonCompliantCount":0,"OtherNonCompliantCount":1},
        {"InstanceId":"mi-0b","PatchGroup":"","BaselineId":"pb-0","Operation":"Install",
         "OperationStartTime":1.7e9,"OperationEndTime":1700000100.5,
         "RebootOption":"NoReboot","InstalledPendingRebootCount":null,"Extra":{"x":[1]}},
        {"InstanceId":"i-0c","PatchGroup":"\u00e9t\u00e9","BaselineId":"pb-1",
         "Operation":"SomethingNew","OperationStartTime":0,"OperationEndTime":0,
         "RebootOption":"RebootLater","MissingCount":-3}
    ]}"#;

    #[tokio::test]
    async fn patch_state_pages_decode_the_members_read_as_the_sdk_does() {
        let (sdk, lean) = both_states(200, STATES_PAGE).await;
        let (list, token) = sdk.clone().expect("the SDK reads the page");
        assert_eq!(list.as_ref().map(Vec::len), Some(3));
        assert_eq!(token, None);
        assert_eq!(lean, sdk);
        assert!(patch_states_page(STATES_PAGE.as_bytes()).is_some());
        let list = lean.unwrap().0.unwrap();
        assert_eq!(list[0].installed_count, 427);
        assert_eq!(
            list[1].installed_count, 0,
            "an absent count is 0, as the SDK makes it"
        );
        assert_eq!(list[2].operation, PatchOperationType::from("SomethingNew"));
    }

    /// Registered on the client, it touches only its two operations: another one's answer
    /// is the SDK's (ListCommands' members `Lean` would not know).
    #[tokio::test]
    async fn other_operations_are_decoded_by_the_sdk() {
        let body = r#"{"Commands":[{"CommandId":"c-1","DocumentName":"AWS-RunShellScript",
            "Status":"Success","RequestedDateTime":1796174841.786,"TargetCount":3,
            "Parameters":{"commands":["uptime"]}}],"NextToken":"n"}"#;
        let (ssm, lean_ssm) = clients(200, body.as_bytes());
        let sdk = ssm.list_commands().send().await.unwrap();
        let lean = lean_ssm.list_commands().send().await.unwrap();
        assert_eq!(lean.commands(), sdk.commands());
        assert_eq!(lean.commands()[0].target_count, 3);
        assert_eq!(lean.next_token(), Some("n"));
    }

    #[tokio::test]
    async fn a_patch_state_without_a_required_member_is_the_sdks_answer() {
        let body = r#"{"InstancePatchStates":[{"InstanceId":"i-1","PatchGroup":"g",
            "Operation":"Scan","OperationStartTime":1,"OperationEndTime":2}]}"#;
        assert!(
            patch_states_page(body.as_bytes()).is_none(),
            "no BaselineId"
        );
        let (sdk, lean) = both_states(200, body).await;
        assert_eq!(lean, sdk);
    }

    /// The simulator's own pages (the same bodies both ways: its clock frozen), every node of
    /// the caller's account in each region, and their patch states.
    #[tokio::test]
    async fn the_simulators_pages_decode_as_the_sdk_decodes_them() {
        let sim = crate::sim::start(crate::sim::SimConfig {
            time_scale: 0.0,
            ..crate::sim::SimConfig::default()
        })
        .await
        .unwrap();
        let mut nodes = 0;
        for region in ["us-east-1", "eu-west-1", "ap-southeast-2"] {
            let conf = aws_sdk_ssm::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new(region))
                .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "t"))
                .endpoint_url(&sim.url)
                .build();
            let lean_ssm =
                aws_sdk_ssm::Client::from_conf(conf.to_builder().interceptor(LeanPages).build());
            let ssm = aws_sdk_ssm::Client::from_conf(conf);
            let mut token: Option<String> = None;
            loop {
                let sdk = ssm
                    .describe_instance_information()
                    .max_results(50)
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .unwrap();
                let lean = lean_ssm
                    .describe_instance_information()
                    .max_results(50)
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .unwrap();
                let sdk_list: Vec<_> = sdk
                    .instance_information_list()
                    .iter()
                    .map(info_read)
                    .collect();
                assert_eq!(lean.instance_information_list(), sdk_list.as_slice());
                assert_eq!(lean.next_token, sdk.next_token);
                nodes += sdk_list.len();
                let ids: Vec<String> = sdk_list
                    .iter()
                    .filter_map(|i| i.instance_id.clone())
                    .collect();
                if !ids.is_empty() {
                    let sdk = ssm
                        .describe_instance_patch_states()
                        .set_instance_ids(Some(ids.clone()))
                        .send()
                        .await
                        .unwrap();
                    let lean = lean_ssm
                        .describe_instance_patch_states()
                        .set_instance_ids(Some(ids))
                        .send()
                        .await
                        .unwrap();
                    let sdk_states: Vec<_> =
                        sdk.instance_patch_states().iter().map(state_read).collect();
                    assert!(!sdk_states.is_empty());
                    assert_eq!(lean.instance_patch_states(), sdk_states.as_slice());
                }
                token = sdk.next_token.filter(|t| !t.is_empty());
                if token.is_none() {
                    break;
                }
            }
        }
        assert!(nodes > 20, "{nodes} nodes compared");
    }
}
