//! Switching the AWS profile and the region scope inside the console (k9s `:ctx`).
//!
//! A switch is two steps, so a profile that fails (no credentials, an expired SSO session,
//! AssumeRole denied) never costs the working one: `update` asks the source to *try* the
//! new context ([`super::effect::Effect::TryContext`]: connect and check the caller, in the
//! background, while the old context keeps running); the answer comes back as
//! `Msg::Context(`[`ContextEvent`]`)`. On `Ready` `update` *commits*
//! ([`super::effect::Effect::CommitContext`]): the runtime stops the old feed and every job
//! (their late answers are dropped: the views and panes that owned them are gone) and
//! starts the new feed, which paints that profile's cached picture first, then refreshes.
//! Every data message is tagged with the context it belongs to (`Msg::OfContext`), so
//! nothing of the old profile lands in the new picture. On `Failed` the old context stays
//! and the message is shown.

use std::collections::BTreeSet;

/// What to switch to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextChoice {
    /// The AWS profile (`None`: the default credential chain, or the demo world).
    pub profile: Option<String>,
    /// The regions to read; `None`: that profile's defaults (`--regions`, the config file's
    /// `regions`, or the profile's region).
    pub regions: Option<Vec<String>>,
}

impl ContextChoice {
    /// "profile ops", "the default credentials", "regions us-east-1,eu-west-1".
    pub fn label(&self) -> String {
        match (&self.profile, &self.regions) {
            (Some(p), None) => format!("profile {p}"),
            (None, None) => "the default credentials".into(),
            (_, Some(r)) => format!("regions {}", r.join(",")),
        }
    }
}

/// The source's answer to a `TryContext`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContextEvent {
    /// Connected (the caller checked): commit to switch.
    Ready {
        id: u64,
        profile: Option<String>,
        /// The regions it reads (resolved: the profile's region when none was given).
        regions: Vec<String>,
    },
    /// Could not connect: the old context stays.
    Failed { id: u64, message: String },
}

/// What the console knows about contexts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ctx {
    /// The context whose data is shown (0 = the one the console started with). Data
    /// messages tagged with another are dropped.
    pub epoch: u64,
    /// The last id handed out.
    pub last_id: u64,
    /// A switch being connected (the old context stays until it is ready).
    pub pending: Option<(u64, ContextChoice)>,
    /// The profile in use (`None`: the default chain, or the demo).
    pub profile: Option<String>,
    /// The demo world (`--demo`): one profile, the simulator's regions.
    pub demo: bool,
    /// The regions read since the last switch (`None`: as the data says).
    pub scope_regions: Option<Vec<String>>,
    /// Every region seen in scope or in the data this session (what `:region` offers).
    pub known_regions: BTreeSet<String>,
    /// Regions taken out of scope by `:region`, with the nodes the picture had there.
    pub out_of_scope: Vec<(String, usize)>,
    /// The last switch that failed: (what, message).
    pub failed: Option<(String, String)>,
    /// The role ssmdeck assumes in member accounts (`role_name`), for `:ctx`.
    pub role_name: String,
    /// Accounts read with their own profile (`account_profiles`): account → profile.
    pub account_profiles: std::collections::BTreeMap<String, String>,
}

impl Ctx {
    /// A new switch id.
    pub fn next_id(&mut self) -> u64 {
        self.last_id += 1;
        self.last_id
    }
}
