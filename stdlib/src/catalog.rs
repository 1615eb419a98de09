//! THE action table: every verb (and synonym) → [`ActionId`] and its data-flow role. The compiler
//! resolves verbs here ("unknown action" is a compile error) and the VM dispatches on the id, so the
//! two can never drift apart.

/// Data-flow role of an action (ARO-0001): decides whether its result binds a new variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// External → internal: binds the result.
    Request,
    /// Internal → internal: binds the result.
    Own,
    /// Internal → external: binds nothing.
    Response,
    /// Publishes a variable.
    Export,
    /// Servers and lifecycle: binds the result.
    Server,
}

macro_rules! actions {
    ($( $id:ident : $role:ident = [$($verb:literal),+] ),* $(,)?) => {
        /// Every action arovm implements.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u16)]
        pub enum ActionId { $(
            #[allow(missing_docs)]
            $id,
        )* }

        /// All ids, indexed by their discriminant.
        pub const ALL: &[ActionId] = &[$(ActionId::$id),*];

        const TABLE: &[(&str, ActionId, Role)] = &[
            $( $( ($verb, ActionId::$id, Role::$role), )+ )*
        ];
    };
}

actions! {
    Extract: Request = ["extract", "get"],
    Retrieve: Request = ["retrieve", "fetch", "load", "find"],
    Receive: Request = ["receive"],
    Read: Request = ["read"],
    Request: Request = ["request", "http"],
    Compute: Own = ["compute", "calculate", "derive"],
    Validate: Own = ["validate", "verify", "check"],
    Compare: Own = ["compare"],
    Transform: Own = ["transform", "convert"],
    Create: Own = ["create", "build", "construct"],
    Update: Own = ["update", "modify", "change", "set", "configure"],
    Sort: Own = ["sort", "order", "arrange"],
    Merge: Own = ["merge", "combine"],
    Delete: Own = ["delete", "remove", "destroy"],
    Split: Own = ["split"],
    Join: Own = ["join", "concat"],
    Map: Own = ["map"],
    Reduce: Own = ["reduce", "aggregate"],
    Filter: Own = ["filter"],
    Group: Own = ["group"],
    Accept: Own = ["accept"],
    Return: Response = ["return", "respond"],
    Throw: Response = ["throw", "raise", "fail"],
    Log: Response = ["log", "print", "output", "debug"],
    Emit: Response = ["emit"],
    Store: Response = ["store", "save", "persist"],
    Send: Response = ["send", "dispatch"],
    Notify: Response = ["notify", "alert", "signal"],
    Write: Response = ["write"],
    Publish: Export = ["publish", "export", "expose", "share"],
    Start: Server = ["start"],
    Stop: Server = ["stop"],
    Keepalive: Server = ["keepalive", "wait", "block"],
    Sleep: Server = ["sleep", "delay", "pause"],
    Broadcast: Response = ["broadcast"],
    Close: Response = ["close", "disconnect", "terminate"],
    Connect: Server = ["connect"],
    Require: Request = ["require"],
    Given: Own = ["given"],
    Include: Response = ["include", "embed", "insert"],
    Assert: Response = ["then", "assert"],
    // Last, so the ids before it keep their numbers in existing `.arob` files.
    Parse: Own = ["parse"],
    // `Application.<Name>` calls of user-defined actions (ARO-0081): the compiler resolves them
    // (no verb spells this), the VM runs the action's feature set.
    CallAction: Own = ["\u{0}application-action"],
    // A test's `When the <r> from the <feature-set>` (ARO-0015): run by the VM.
    When: Own = ["when"],
    // `Listen on port N as <socket-server>` (ARO-0008 §6.1); `Await` is its alias in the reference.
    Listen: Server = ["listen", "await"],
    // File actions (ARO-0036); Read and Write above are format-aware (ARO-0040).
    List: Request = ["list"],
    Stat: Request = ["stat"],
    Exists: Request = ["exists"],
    Make: Own = ["make", "touch", "createdirectory", "mkdir"],
    Copy: Response = ["copy"],
    Move: Response = ["move", "rename"],
    Append: Response = ["append"],
    // `Stream the <lines> from "./big.log"`: a file's lines, pulled by `for each`.
    Stream: Request = ["stream"],
}

/// The operations `Compute the <name: op>` knows (besides date offsets such as `+7d`); any
/// other qualifier binds the input unchanged, as in the reference, and the compiler warns.
pub const COMPUTE_OPERATIONS: &[&str] = &[
    "length",
    "count",
    "uppercase",
    "lowercase",
    "trim",
    "hash",
    "clip",
    "take",
    "intersect",
    "difference",
    "union",
    "sum",
    "min",
    "max",
    "avg",
    "average",
    "abs",
    "round",
    "floor",
    "ceil",
    "reverse",
    "unique",
    "first",
    "last",
    "date",
    "format",
    "distance",
    "identity",
];

/// Looks up a verb case-insensitively; returns its id and role.
pub fn lookup(verb: &str) -> Option<(ActionId, Role)> {
    let lower = verb.to_ascii_lowercase();
    TABLE
        .iter()
        .find(|(v, _, _)| *v == lower)
        .map(|&(_, id, role)| (id, role))
}

/// The id with discriminant `n`, if any.
pub fn from_u16(n: u16) -> Option<ActionId> {
    ALL.get(n as usize).copied()
}

/// The role of an action id.
pub fn role(id: ActionId) -> Role {
    TABLE
        .iter()
        .find(|(_, i, _)| *i == id)
        .map(|&(_, _, r)| r)
        .unwrap_or(Role::Own)
}

/// All verbs arovm knows (for "did you mean" hints).
pub fn verbs() -> impl Iterator<Item = &'static str> {
    TABLE.iter().map(|(v, _, _)| *v)
}
