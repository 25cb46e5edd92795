//! Every rule `trackc diff` applies: a stable id, who the change breaks, the semver bump it
//! needs, and why. Ids never change meaning; `trackc diff --explain ID` prints one.
//!
//! How changes are classified:
//! - **producers** are the code that sends events and identify calls (the generated types,
//!   the client); a change breaks them when something they send today becomes invalid or
//!   something they must send is new.
//! - **consumers** are Customer.io's segments and workflows and anyone reading the data
//!   (warehouse, reports); a change breaks them when data they read disappears, changes
//!   meaning, or when a campaign can now message people it would not have messaged
//!   (suppression weakened).
//! - A change needs a **major** bump when it breaks someone, **minor** when it only adds
//!   (new things to send or read, fewer messages), **patch** when it only changes
//!   documentation. Changes that break nobody are `none`.

/// Who a change breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Breaks {
    None,
    Producers,
    Consumers,
    Both,
}

impl Breaks {
    pub fn as_str(self) -> &'static str {
        match self {
            Breaks::None => "none",
            Breaks::Producers => "producers",
            Breaks::Consumers => "consumers",
            Breaks::Both => "both",
        }
    }

    /// What the value means, for `trackc diff --explain` (the word alone is not
    /// self-explanatory: "breaks both" both what?).
    pub fn meaning(self) -> &'static str {
        match self {
            Breaks::None => "nobody: neither producers nor consumers need to change",
            Breaks::Producers => "producers (code that sends the event)",
            Breaks::Consumers => "consumers (segments, workflows, reports that read it)",
            Breaks::Both => {
                "producers (code that sends the event) and consumers (segments, workflows, \
reports that read it)"
            }
        }
    }

    pub const ALL: [Breaks; 4] = [
        Breaks::Producers,
        Breaks::Consumers,
        Breaks::Both,
        Breaks::None,
    ];
}

/// A semver bump, ordered from none to major.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bump {
    None,
    Patch,
    Minor,
    Major,
}

impl Bump {
    pub fn as_str(self) -> &'static str {
        match self {
            Bump::None => "none",
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }
}

#[derive(Debug)]
pub struct DiffRule {
    pub id: &'static str,
    pub breaks: Breaks,
    pub bump: Bump,
    pub summary: &'static str,
    pub explanation: &'static str,
}

macro_rules! diff_rules {
    ($($id:literal, $breaks:ident, $bump:ident, $summary:literal, $expl:literal;)*) => {
        pub const DIFF_RULES: &[DiffRule] = &[$(DiffRule {
            id: $id,
            breaks: Breaks::$breaks,
            bump: Bump::$bump,
            summary: $summary,
            explanation: $expl,
        }),*];
    };
}

diff_rules! {
    // Identity ------------------------------------------------------------------------
    "identity-changed", Both, Major, "the identity id, its type or the anonymous id changed",
    "The identity is the Track API path identifier. Renaming it, changing its type or pattern, \
or changing the anonymous id splits every person in two: producers send a different id, and \
every segment and workflow stops seeing the people it knew.";

    // Events --------------------------------------------------------------------------
    "event-removed", Both, Major, "an event was removed",
    "Producers that send it no longer compile (its generated type is gone) or are rejected by \
validation; consumers (segments, workflows, reports) that read it go quiet. If it was renamed, \
the report says so: a rename is a removal plus an addition for everyone downstream.";

    "event-added", None, Minor, "an event was added",
    "A new event is additive: nobody sends or reads it yet.";

    "idempotency-key-added", None, Minor, "an event gained an idempotency_key",
    "Retries are now deduplicated by the key; the generated code derives the event id for \
producers, and consumers only see fewer duplicates.";

    "idempotency-key-removed", Consumers, Major, "an event lost its idempotency_key",
    "Without a key a retried or replayed event counts twice: revenue doubles in reports and \
in revenue-goal workflows, and event-triggered workflows can enroll a person twice.";

    "idempotency-key-changed", Both, Major, "an event's idempotency_key names another property",
    "The Track API event id is derived from the key. With another key, a retry that straddles \
the deploy is not recognised as a duplicate, and producers must make sure the new property \
identifies the event.";

    "backfill-allowed", Consumers, Major, "an event changed from `backfill: forbidden` to `allowed`",
    "Historical replays may now send the event. Workflows triggered by it, and segments with a \
`within` window over it, can enroll people for something they did months ago. Consumers must \
check every impact listed.";

    "backfill-forbidden", Producers, Major, "an event changed from `backfill: allowed` to `forbidden`",
    "Backfill jobs that replay the event from history must stop sending it.";

    "owner-changed", None, Patch, "an event's owner changed",
    "Ownership is documentation: it says which service is the source of truth.";

    // Attributes ----------------------------------------------------------------------
    "attribute-removed", Both, Major, "an attribute was removed",
    "Producers that send it in identify calls no longer compile or are rejected; segments and \
workflows that read it (audiences, consent gates, exit conditions) stop matching.";

    "attribute-added", None, Minor, "an attribute was added",
    "Identify is a partial update, so a new attribute is always optional: additive.";

    "attribute-consent-changed", Consumers, Major, "an attribute's `consent` channel changed",
    "Consent flags gate which people a channel may reach. Adding, removing or moving `consent:` \
changes what the audiences built on it mean.";

    "attribute-now-derived", Producers, Major, "an attribute became `derived`",
    "The backend computes it now: producers that send it must stop, or they overwrite the \
computed value.";

    "attribute-no-longer-derived", None, Minor, "an attribute is no longer `derived`",
    "Producers may now send it; nothing that works today stops working.";

    // Named types ---------------------------------------------------------------------
    "type-removed", Producers, Major, "a named type was removed",
    "Its generated Rust type disappears, so producer code that names it no longer compiles. \
Properties that used it are reported separately where their shape changed.";

    "type-added", None, Minor, "a named type was added",
    "A new named type is additive.";

    // Properties (of events, of object types) -------------------------------------------
    "property-removed", Both, Major, "a property was removed",
    "Objects are closed (`additional_properties: false` by default), so producers that still \
send it are rejected, and their generated code no longer has the field; consumers that read \
or filter on it lose it.";

    "property-added", None, Minor, "an optional property was added",
    "Producers may send it; consumers that do not know it ignore it.";

    "required-property-added", Producers, Major, "a required property was added to an existing event or object",
    "Every producer must now send it; events without it are invalid. Add it as \
`optional: true` first if producers roll out separately.";

    "property-now-required", Producers, Major, "an optional property became required",
    "Producers that leave it out are now rejected.";

    "property-now-optional", Consumers, Major, "a required property became optional",
    "Consumers that relied on it being present (segment filters, reports, templates) now see \
events without it.";

    "type-changed", Both, Major, "a property, attribute, array item or named type changed type",
    "Values of the old type are invalid under the new one: producers must change what they \
send, and consumers (filters compare with typed operands) must change what they read.";

    "constraint-tightened", Producers, Major, "a constraint was tightened",
    "minimum/maximum raised/lowered, min_length/max_length, min_items/max_items tightened, a \
pattern or format added or changed, `additional_properties` closed: values producers send today \
may now be rejected.";

    "constraint-loosened", None, Minor, "a constraint was loosened",
    "A bound, length, item count, pattern or format was relaxed or removed: every value valid \
before is still valid. Consumers may see values they did not see before, which is additive.";

    // Enums ---------------------------------------------------------------------------
    "enum-value-removed", Both, Major, "an enum value was removed",
    "Producers that send it are rejected (the generated variant is gone); segment filters and \
reports that compare with it stop matching.";

    "enum-value-added", None, Minor, "an enum value was added",
    "Additive: producers may send it, filters on other values are unaffected. Consumers that \
list every value (reports) will see a new one.";

    "enum-alias-removed", Producers, Major, "an enum alias was removed",
    "Aliases are the spellings other systems send. Without it, those systems' values are no \
longer normalised and are rejected.";

    "enum-alias-added", None, Minor, "an enum alias was added",
    "One more spelling is accepted and normalised to the canonical value.";

    // Documentation -------------------------------------------------------------------
    "description-changed", None, Patch, "a description changed",
    "Documentation only.";

    "examples-changed", None, Patch, "a property's examples changed",
    "Documentation only.";

    "pii-changed", None, Patch, "a property's `pii` flag changed",
    "The wire format is unchanged; generated Debug output redacts (or stops redacting) the \
value. Review data-handling obligations.";

    "deprecation-changed", None, Minor, "something was deprecated or un-deprecated",
    "Deprecating announces a future removal without breaking anything today, which semver \
counts as a minor change.";

    // Segments ------------------------------------------------------------------------
    "segment-removed", Consumers, Major, "a segment was removed",
    "Customer.io broadcasts, reports and workflows outside the contract refer to segments by \
name; they lose their audience.";

    "segment-added", None, Minor, "a segment was added",
    "A new segment is additive.";

    "segment-widened", Consumers, Major, "a segment can match people it excluded before",
    "A condition was removed from `all` or `none`, or added to `any`: the segment now admits \
people it was written to keep out (no consent, already converted). Every workflow whose \
trigger or audience is built on it can message more people. Classified by the segment's own \
membership; the impacts name every segment and workflow built on it.";

    "segment-narrowed", None, Minor, "a segment matches a subset of the people it matched",
    "A condition was added to `all` or `none`, or removed from `any`: fewer people match, so \
campaigns built on it message fewer people. The impacts show where it is used (a segment used \
in another's `none`, or as an exit condition, widens that use).";

    "segment-condition-changed", Consumers, Major, "a segment condition changed in place",
    "A condition on the same event, attribute or segment changed its filter, window, count or \
operator. Membership changes in a way trackc does not try to decide, so it is classified as \
breaking for consumers: review the impacts.";

    // Workflows -----------------------------------------------------------------------
    "workflow-removed", None, Minor, "a workflow was removed",
    "Nothing in the contract or in code refers to a workflow, and removing one only stops \
messages. Classified minor: a behaviour change to review, not an interface break.";

    "workflow-added", None, Minor, "a workflow was added",
    "A new campaign; `trackc check` enforces its consent audience and exit conditions.";

    "workflow-trigger-changed", Consumers, Major, "a workflow's trigger changed",
    "Another event, filter or segment enrolls people: a different set of people is messaged.";

    "workflow-audience-widened", Consumers, Major, "a segment was removed from a workflow's audience",
    "The audience is a conjunction of segments; dropping one admits people it kept out \
(consent gates are audiences).";

    "workflow-audience-narrowed", None, Minor, "a segment was added to a workflow's audience",
    "Fewer people can enter.";

    "workflow-exit-removed", Consumers, Major, "an exit condition was removed",
    "Suppression weakened: people who convert (or otherwise should stop) keep receiving the \
campaign.";

    "workflow-exit-added", None, Minor, "an exit condition was added",
    "Suppression strengthened: people leave earlier.";

    "workflow-exit-changed", Consumers, Major, "an exit condition changed in place",
    "The condition on the same event, attribute or segment changed; people may no longer \
leave when they should. Classified as weakened suppression: review the change.";

    "workflow-wait-shortened", Consumers, Major, "a workflow's wait was shortened or removed",
    "Messages go out before exit conditions had the time they had before to take people out \
(a checkout finished within the old wait now still gets the reminder).";

    "workflow-wait-lengthened", None, Minor, "a workflow's wait was lengthened or added",
    "Messages go out later; exit conditions have more time to suppress them.";

    "workflow-channel-added", None, Minor, "a workflow sends on a new channel",
    "Additive; `trackc check` requires the matching consent in the audience.";

    "workflow-channel-removed", None, Minor, "a workflow no longer sends on a channel",
    "Fewer messages; reports per channel change.";

    "workflow-goal-changed", None, Patch, "a workflow's goal changed",
    "The goal classifies the campaign for reporting and for `trackc check` (revenue \
workflows need exit conditions).";
}

pub fn get(id: &str) -> Option<&'static DiffRule> {
    DIFF_RULES.iter().find(|r| r.id == id)
}
