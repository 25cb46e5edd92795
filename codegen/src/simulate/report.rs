//! What a simulation found, in the shape `--format json` prints (the other formats are
//! drawn from it by the CLI). Counts are exact; lists are cut at
//! [`super::bounds::MAX_LISTED`] entries, in time order.

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    /// Records read (validate's count: a batch operation is one).
    pub records: u64,
    /// Operations run through the people model.
    pub simulated: u64,
    /// Records `validate` rejects: reported here, and simulated only when Customer.io
    /// accepts them all the same.
    pub rejected: Rejected,
    /// The time simulated: the first record's and the end (`--until`, else the last
    /// record's), Unix seconds.
    pub start: Option<i64>,
    pub end: Option<i64>,
    /// Profiles keyed by the contract's id.
    pub people: u64,
    /// Profiles by the identifier that keys them (`id`, `email`, `phone`, `cio_id`,
    /// `anonymous_id`).
    pub profiles: BTreeMap<&'static str, u64>,
    pub workflows: BTreeMap<String, WorkflowStats>,
    pub segments: BTreeMap<String, SegmentStats>,
    /// Messages that went out after the person converted, or should have been suppressed.
    pub sent_after_conversion: Vec<Missed>,
    /// Records of an idempotent event whose key was already used under another event id.
    pub duplicates: u64,
    /// Revenue those records count a second time.
    pub duplicate_revenue: f64,
    pub duplicate_list: Vec<Duplicate>,
    /// Journeys started by a backfilled record (sent over an hour after its timestamp,
    /// under 72 hours: Customer.io still triggers on it).
    pub backfill_enrolments: u64,
    pub backfill_list: Vec<Backfill>,
    /// Records older than a record already read for the same profile.
    pub out_of_order: u64,
    pub out_of_order_list: Vec<OutOfOrder>,
    /// People whose activity is split over profiles: another person with the same email,
    /// or a profile keyed by their email or phone.
    pub fragmented_people: u64,
    pub fragment_list: Vec<Fragment>,
    /// Anonymous profiles with activity that no identify or merge joined to a person.
    pub unmerged_anonymous: u64,
    /// Members of each segment over time (for plots).
    pub membership: Membership,
    /// Lists cut at the bound.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// Operations past [`super::bounds::MAX_OPERATIONS`], or naming a new profile past
    /// [`super::bounds::MAX_PROFILES`]: counted, not simulated.
    #[serde(skip_serializing_if = "is_zero")]
    pub not_simulated: u64,
    /// Operations Customer.io takes that name no person: an anonymous event without an
    /// anonymous id, a form submission, an unsubscribe or a metric, an object, a
    /// delivery. No profile sees them, so they are counted and listed, not simulated.
    pub unattributed: u64,
    pub unattributed_list: Vec<Unattributed>,
    /// Operations after `--until`: read and counted, not simulated.
    #[serde(skip_serializing_if = "is_zero")]
    pub after_until: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Report {
    /// Messages sent after conversion, over every workflow.
    pub fn sent_after_conversion_total(&self) -> u64 {
        self.workflows
            .values()
            .map(|w| w.sent_after_conversion)
            .sum()
    }

    /// Whether the simulation found what `trackc simulate` fails on (exit 1): messages
    /// sent after conversion, backfill enrolments or duplicate keys.
    pub fn failed(&self) -> bool {
        self.sent_after_conversion_total() > 0
            || self.backfill_enrolments > 0
            || self.duplicates > 0
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Rejected {
    pub count: u64,
    pub listed: Vec<RejectedRecord>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RejectedRecord {
    pub line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    pub event: Option<String>,
    pub code: crate::rules::TrafficRule,
    pub message: String,
    /// Simulated all the same: Customer.io accepts it (named by email or phone, a
    /// forbidden replay, no event id). Such a record past `--until` or naming no one is
    /// counted there (`after_until`, `unattributed`) like any record Customer.io takes.
    pub simulated: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WorkflowStats {
    /// Trigger moments (an event, or entering the trigger segment).
    pub triggered: u64,
    /// Journeys started.
    pub entered: u64,
    /// Triggers while the person was outside the audience.
    pub not_in_audience: u64,
    /// Triggers while a journey was already waiting.
    pub already_waiting: u64,
    /// Journeys ended by an exit condition (total, and by condition as written).
    pub exited: u64,
    pub exits: BTreeMap<String, u64>,
    /// Journeys whose person had left the audience when the message was due.
    pub left_audience: u64,
    /// Journeys of a profile merged into another.
    pub merged_away: u64,
    /// Still waiting at the end.
    pub waiting: u64,
    /// Messages that went out.
    pub sent: u64,
    /// Of those, after the person converted or when they should have been suppressed.
    pub sent_after_conversion: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SegmentStats {
    pub entered: u64,
    pub left: u64,
    /// Members at the end.
    pub members: u64,
}

/// Why a message that should not have gone out did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The exit event was sent for another profile (email, phone, an anonymous id merged
    /// too late).
    DifferentIdentifier,
    /// The exit event happened before the message was due but reached Customer.io after.
    ArrivedLate,
    /// The person converted (an event a revenue workflow exits on) but no exit condition
    /// of this workflow names that event.
    NotInContract,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::DifferentIdentifier => "different identifier",
            Reason::ArrivedLate => "event arrived late",
            Reason::NotInContract => "exit condition not in the contract",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Missed {
    pub workflow: String,
    /// `id:cus_…`, `email:…`: the identifier kind and value.
    pub person: String,
    /// The line that started the journey.
    pub trigger_line: u64,
    /// When the message went out (Unix seconds).
    pub sent_at: i64,
    /// The exit that should have stopped it (as written), or the converting event.
    pub missed_exit: String,
    pub reason: Reason,
    pub why: String,
    /// The line of the converting event.
    pub event_line: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Duplicate {
    pub line: u64,
    pub first_line: u64,
    pub event: String,
    pub person: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revenue: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Backfill {
    pub line: u64,
    pub workflow: String,
    pub person: String,
    /// Seconds between the record's timestamp and its arrival.
    pub age: i64,
}

/// An operation that names no person ([`Report::unattributed`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Unattributed {
    pub line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// The contract's event it sends, when it is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// That event, named when the run starts (reading does not hold the contract).
    #[serde(skip)]
    pub(crate) event_id: Option<crate::ir::EventId>,
}

impl Unattributed {
    pub(crate) fn new(line: u64, index: Option<u32>, event_id: Option<crate::ir::EventId>) -> Self {
        Unattributed {
            line,
            index,
            event: None,
            event_id,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutOfOrder {
    pub line: u64,
    pub person: String,
    /// Seconds before the latest record already read for the profile.
    pub behind: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fragment {
    pub person: String,
    /// `shared_email`, `email_profile`, `phone_profile`.
    pub kind: &'static str,
    pub other: String,
}

/// Members of each segment at evenly spaced times.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Membership {
    pub times: Vec<i64>,
    /// Per segment (by name): members at each time.
    pub segments: BTreeMap<String, Vec<u64>>,
}
