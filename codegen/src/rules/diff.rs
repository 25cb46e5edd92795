//! The rules `trackc diff` applies: who a change breaks and the semver bump it needs
//! (`trackc diff --explain ID`, `trackc explain ID`).
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

/// What a change does to a producer written in Rust against the generated types the
/// documented way (docs/rust.md: values built with `new` and the `with_*` setters, a `_`
/// arm in every `match` on a generated enum, the types in a crate of their own). Separate
/// from [`Breaks`]: a change can break producers at run time and compile (a tightened
/// constraint), or compile differently while breaking only consumers (a property that
/// became optional). `tests/rust_minor_changes.rs` compiles such a producer, written
/// against the old contract of every rule's fixture pair, against the new one: `None` and
/// `Warns` rules must compile, `Breaks` rules must not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RustEffect {
    /// The producer compiles unchanged.
    None,
    /// It compiles with a warning (`deprecated`; an error under `-D warnings`).
    Warns,
    /// Code that uses what changed no longer compiles.
    Breaks,
}

impl RustEffect {
    pub fn as_str(self) -> &'static str {
        match self {
            RustEffect::None => "none",
            RustEffect::Warns => "warns",
            RustEffect::Breaks => "breaks",
        }
    }

    /// The note `trackc diff` adds to such a change (none for `None`).
    pub fn note(self) -> Option<&'static str> {
        match self {
            RustEffect::None => None,
            RustEffect::Warns => Some("warns Rust producers"),
            RustEffect::Breaks => Some("breaks Rust producers"),
        }
    }

    /// What the note means, for `trackc explain` and the report's legend.
    pub fn meaning(self) -> &'static str {
        match self {
            RustEffect::None => "code built on the generated types compiles unchanged",
            RustEffect::Warns => {
                "code built on the generated types gets a deprecation warning where it uses what \
changed (an error under `-D warnings`)"
            }
            RustEffect::Breaks => {
                "code built on the generated types no longer compiles where it uses what changed \
(a field, a `new` argument, a `with_*` setter, an enum variant or a type)"
            }
        }
    }
}

/// How a diff rule classifies its changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Class {
    pub breaks: Breaks,
    pub bump: Bump,
    pub rust: RustEffect,
}

impl Class {
    const fn new(breaks: Breaks, bump: Bump) -> Class {
        Class {
            breaks,
            bump,
            rust: RustEffect::None,
        }
    }

    /// The same class, with what it does to Rust producers.
    const fn rust(self, rust: RustEffect) -> Class {
        Class { rust, ..self }
    }
}

family! {
    /// A rule `trackc diff` classifies a change by.
    DiffRule: Class;

    // Identity ------------------------------------------------------------------------
    IdentityChanged, "identity-changed", Class::new(Breaks::Both, Bump::Major),
    "the identity id, its type or the anonymous id changed",
    "The identity is the Track API path identifier. Renaming it, changing its type or pattern, \
or changing the anonymous id splits every person in two: producers send a different id, and \
every segment and workflow stops seeing the people it knew.";

    // Events --------------------------------------------------------------------------
    EventRemoved, "event-removed", Class::new(Breaks::Both, Bump::Major).rust(RustEffect::Breaks),
    "an event was removed",
    "Producers that send it no longer compile (its generated type is gone) or are rejected by \
validation; consumers (segments, workflows, reports) that read it go quiet. If it was renamed, \
the report says so: a rename is a removal plus an addition for everyone downstream.";

    EventAdded, "event-added", Class::new(Breaks::None, Bump::Minor),
    "an event was added",
    "A new event is additive: nobody sends or reads it yet.";

    IdempotencyKeyAdded, "idempotency-key-added", Class::new(Breaks::None, Bump::Minor),
    "an event gained an idempotency_key",
    "Retries are now deduplicated by the key; the generated code derives the event id for \
producers, and consumers only see fewer duplicates.";

    IdempotencyKeyRemoved, "idempotency-key-removed", Class::new(Breaks::Consumers, Bump::Major),
    "an event lost its idempotency_key",
    "Without a key a retried or replayed event counts twice: revenue doubles in reports and \
in revenue-goal workflows, and event-triggered workflows can enroll a person twice.";

    IdempotencyKeyChanged, "idempotency-key-changed", Class::new(Breaks::Both, Bump::Major),
    "an event's idempotency_key names another property",
    "The Track API event id is derived from the key. With another key, a retry that straddles \
the deploy is not recognised as a duplicate, and producers must make sure the new property \
identifies the event.";

    BackfillAllowed, "backfill-allowed", Class::new(Breaks::Consumers, Bump::Major),
    "an event changed from `backfill: forbidden` to `allowed`",
    "Historical replays may now send the event. Workflows triggered by it, and segments with a \
`within` window over it, can enroll people for something they did months ago. Consumers must \
check every impact listed.";

    BackfillForbidden, "backfill-forbidden", Class::new(Breaks::Producers, Bump::Major),
    "an event changed from `backfill: allowed` to `forbidden`",
    "Backfill jobs that replay the event from history must stop sending it.";

    OwnerChanged, "owner-changed", Class::new(Breaks::None, Bump::Patch),
    "an event's owner changed",
    "Ownership is documentation: it says which service is the source of truth.";

    // Attributes ----------------------------------------------------------------------
    AttributeRemoved, "attribute-removed", Class::new(Breaks::Both, Bump::Major).rust(RustEffect::Breaks),
    "an attribute was removed",
    "Producers that send it in identify calls no longer compile or are rejected; segments and \
workflows that read it (audiences, consent gates, exit conditions) stop matching.";

    AttributeAdded, "attribute-added", Class::new(Breaks::None, Bump::Minor),
    "an attribute was added",
    "Identify is a partial update, so a new attribute is always optional: additive.";

    AttributeConsentChanged, "attribute-consent-changed", Class::new(Breaks::Consumers, Bump::Major),
    "an attribute's `consent` channel changed",
    "Consent flags gate which people a channel may reach. Adding, removing or moving `consent:` \
changes what the audiences built on it mean.";

    AttributeNowDerived, "attribute-now-derived", Class::new(Breaks::Producers, Bump::Major),
    "an attribute became `derived`",
    "The backend computes it now: producers that send it must stop, or they overwrite the \
computed value.";

    AttributeNoLongerDerived, "attribute-no-longer-derived", Class::new(Breaks::None, Bump::Minor),
    "an attribute is no longer `derived`",
    "Producers may now send it; nothing that works today stops working.";

    // Named types ---------------------------------------------------------------------
    TypeRemoved, "type-removed", Class::new(Breaks::Producers, Bump::Major).rust(RustEffect::Breaks),
    "a named type was removed",
    "Its generated Rust type disappears, so producer code that names it no longer compiles. \
Properties that used it are reported separately where their shape changed.";

    TypeAdded, "type-added", Class::new(Breaks::None, Bump::Minor),
    "a named type was added",
    "A new named type is additive.";

    // Properties (of events, of object types) -------------------------------------------
    PropertyRemoved, "property-removed", Class::new(Breaks::Both, Bump::Major).rust(RustEffect::Breaks),
    "a property was removed",
    "Objects are closed (`additional_properties: false` by default), so producers that still \
send it are rejected, and their generated code no longer has the field; consumers that read \
or filter on it lose it.";

    PropertyAdded, "property-added", Class::new(Breaks::None, Bump::Minor),
    "an optional property was added",
    "Producers may send it; consumers that do not know it ignore it.";

    RequiredPropertyAdded, "required-property-added", Class::new(Breaks::Producers, Bump::Major).rust(RustEffect::Breaks),
    "a required property was added to an existing event or object",
    "Every producer must now send it; events without it are invalid. Add it as \
`optional: true` first if producers roll out separately.";

    PropertyNowRequired, "property-now-required", Class::new(Breaks::Producers, Bump::Major).rust(RustEffect::Breaks),
    "an optional property became required",
    "Producers that leave it out are now rejected.";

    PropertyNowOptional, "property-now-optional", Class::new(Breaks::Consumers, Bump::Major).rust(RustEffect::Breaks),
    "a required property became optional",
    "Consumers that relied on it being present (segment filters, reports, templates) now see \
events without it. Rust producers no longer compile: the field becomes an `Option`, leaves \
`new`'s arguments and gets a `with_*` setter.";

    TypeChanged, "type-changed", Class::new(Breaks::Both, Bump::Major).rust(RustEffect::Breaks),
    "a property, attribute, array item or named type changed type",
    "Values of the old type are invalid under the new one: producers must change what they \
send, and consumers (filters compare with typed operands) must change what they read.";

    ConstraintTightened, "constraint-tightened", Class::new(Breaks::Producers, Bump::Major),
    "a constraint was tightened",
    "minimum/maximum raised/lowered, min_length/max_length, min_items/max_items tightened, a \
pattern or format added or changed, `additional_properties` closed: values producers send today \
may now be rejected. Closing `additional_properties` also removes the generated \
`additional_properties` map, so Rust producers that fill it no longer compile.";

    ConstraintLoosened, "constraint-loosened", Class::new(Breaks::None, Bump::Minor),
    "a constraint was loosened",
    "A bound, length, item count, pattern or format was relaxed or removed: every value valid \
before is still valid. Consumers may see values they did not see before, which is additive.";

    // Enums ---------------------------------------------------------------------------
    EnumValueRemoved, "enum-value-removed", Class::new(Breaks::Both, Bump::Major).rust(RustEffect::Breaks),
    "an enum value was removed",
    "Producers that send it are rejected (the generated variant is gone); segment filters and \
reports that compare with it stop matching.";

    EnumValueAdded, "enum-value-added", Class::new(Breaks::None, Bump::Minor),
    "an enum value was added",
    "Additive: producers may send it, filters on other values are unaffected. Consumers that \
list every value (reports) will see a new one.";

    EnumAliasRemoved, "enum-alias-removed", Class::new(Breaks::Producers, Bump::Major),
    "an enum alias was removed",
    "Aliases are the spellings other systems send. Without it, those systems' values are no \
longer normalised and are rejected.";

    EnumAliasAdded, "enum-alias-added", Class::new(Breaks::None, Bump::Minor),
    "an enum alias was added",
    "One more spelling is accepted and normalised to the canonical value.";

    // Documentation -------------------------------------------------------------------
    DescriptionChanged, "description-changed", Class::new(Breaks::None, Bump::Patch),
    "a description changed",
    "Documentation only.";

    ExamplesChanged, "examples-changed", Class::new(Breaks::None, Bump::Patch),
    "a property's examples changed",
    "Documentation only.";

    PiiChanged, "pii-changed", Class::new(Breaks::None, Bump::Patch),
    "a property's `pii` flag changed",
    "The wire format is unchanged; generated Debug output redacts (or stops redacting) the \
value. Review data-handling obligations.";

    DeprecationChanged, "deprecation-changed", Class::new(Breaks::None, Bump::Minor).rust(RustEffect::Warns),
    "something was deprecated or un-deprecated",
    "Deprecating announces a future removal without breaking anything today, which semver \
counts as a minor change. Rust producers that use the deprecated item get a deprecation \
warning (an error in builds with `-D warnings`).";

    // Segments ------------------------------------------------------------------------
    SegmentRemoved, "segment-removed", Class::new(Breaks::Consumers, Bump::Major),
    "a segment was removed",
    "Customer.io broadcasts, reports and workflows outside the contract refer to segments by \
name; they lose their audience.";

    SegmentAdded, "segment-added", Class::new(Breaks::None, Bump::Minor),
    "a segment was added",
    "A new segment is additive.";

    SegmentWidened, "segment-widened", Class::new(Breaks::Consumers, Bump::Major),
    "a segment can match people it excluded before",
    "A condition was removed from `all` or `none`, or added to `any`: the segment now admits \
people it was written to keep out (no consent, already converted). Every workflow whose \
trigger or audience is built on it can message more people. Classified by the segment's own \
membership; the impacts name every segment and workflow built on it.";

    SegmentNarrowed, "segment-narrowed", Class::new(Breaks::None, Bump::Minor),
    "a segment matches a subset of the people it matched",
    "A condition was added to `all` or `none`, or removed from `any`: fewer people match, so \
campaigns built on it message fewer people. The impacts show where it is used (a segment used \
in another's `none`, or as an exit condition, widens that use).";

    SegmentConditionChanged, "segment-condition-changed", Class::new(Breaks::Consumers, Bump::Major),
    "a segment condition changed in place",
    "A condition on the same event, attribute or segment changed its filter, window, count or \
operator. Membership changes in a way trackc does not try to decide, so it is classified as \
breaking for consumers: review the impacts.";

    // Workflows -----------------------------------------------------------------------
    WorkflowRemoved, "workflow-removed", Class::new(Breaks::None, Bump::Minor),
    "a workflow was removed",
    "Nothing in the contract or in code refers to a workflow, and removing one only stops \
messages. Classified minor: a behaviour change to review, not an interface break.";

    WorkflowAdded, "workflow-added", Class::new(Breaks::None, Bump::Minor),
    "a workflow was added",
    "A new campaign; `trackc check` enforces its consent audience and exit conditions.";

    WorkflowTriggerChanged, "workflow-trigger-changed", Class::new(Breaks::Consumers, Bump::Major),
    "a workflow's trigger changed",
    "Another event, filter or segment enrolls people: a different set of people is messaged.";

    WorkflowAudienceWidened, "workflow-audience-widened", Class::new(Breaks::Consumers, Bump::Major),
    "a segment was removed from a workflow's audience",
    "The audience is a conjunction of segments; dropping one admits people it kept out \
(consent gates are audiences).";

    WorkflowAudienceNarrowed, "workflow-audience-narrowed", Class::new(Breaks::None, Bump::Minor),
    "a segment was added to a workflow's audience",
    "Fewer people can enter.";

    WorkflowExitRemoved, "workflow-exit-removed", Class::new(Breaks::Consumers, Bump::Major),
    "an exit condition was removed",
    "Suppression weakened: people who convert (or otherwise should stop) keep receiving the \
campaign.";

    WorkflowExitAdded, "workflow-exit-added", Class::new(Breaks::None, Bump::Minor),
    "an exit condition was added",
    "Suppression strengthened: people leave earlier.";

    WorkflowExitChanged, "workflow-exit-changed", Class::new(Breaks::Consumers, Bump::Major),
    "an exit condition changed in place",
    "The condition on the same event, attribute or segment changed; people may no longer \
leave when they should. Classified as weakened suppression: review the change.";

    WorkflowWaitShortened, "workflow-wait-shortened", Class::new(Breaks::Consumers, Bump::Major),
    "a workflow's wait was shortened or removed",
    "Messages go out before exit conditions had the time they had before to take people out \
(a checkout finished within the old wait now still gets the reminder).";

    WorkflowWaitLengthened, "workflow-wait-lengthened", Class::new(Breaks::None, Bump::Minor),
    "a workflow's wait was lengthened or added",
    "Messages go out later; exit conditions have more time to suppress them.";

    WorkflowChannelAdded, "workflow-channel-added", Class::new(Breaks::None, Bump::Minor),
    "a workflow sends on a new channel",
    "Additive; `trackc check` requires the matching consent in the audience.";

    WorkflowChannelRemoved, "workflow-channel-removed", Class::new(Breaks::None, Bump::Minor),
    "a workflow no longer sends on a channel",
    "Fewer messages; reports per channel change.";

    WorkflowGoalChanged, "workflow-goal-changed", Class::new(Breaks::None, Bump::Patch),
    "a workflow's goal changed",
    "The goal classifies the campaign for reporting and for `trackc check` (revenue \
workflows need exit conditions).";
}
