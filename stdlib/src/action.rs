//! What an action is: a function from a [`Call`] (the statement's operands, already evaluated by the
//! VM) and a [`Host`] to an [`Outcome`]. Actions never block: waiting is an [`Outcome::Suspend`].

use crate::repository::Repositories;
use crate::value::Value;
use std::rc::Rc;

/// An operand's specifiers.
pub type Specs<'a> = smallvec::SmallVec<[&'a str; 2]>;

/// A call's clauses.
pub type Clauses<'a> = smallvec::SmallVec<[(&'a str, Operand<'a>); 3]>;

/// One operand of a statement as an action sees it.
#[derive(Clone, Debug, Default)]
pub struct Operand<'a> {
    /// Base name (`user` in `<user: name>`), or `_expression_` for an expression.
    pub name: &'a str,
    /// Specifiers (`["name"]`), empty for expressions (inline up to two: no allocation).
    pub specs: Specs<'a>,
    /// The value: the expression's value, or the named variable's value (with the path applied
    /// for object operands). `None` when the name is not bound.
    pub value: Option<Value>,
    /// True when the operand was an expression (literal, arithmetic, `{...}`).
    pub is_expr: bool,
    /// For the result: the value of the variable its first specifier names, if bound
    /// (`Merge the <all: fruits> with ...` reads `fruits`).
    pub spec_value: Option<Value>,
    /// Why `value` is `None` when the name is bound but its qualifier path is not
    /// (`Property 'age' not found on Object`).
    pub missing: Option<String>,
    /// Written with an article (`with the <x>`): a named object, not an expression.
    pub article: bool,
}

impl Operand<'_> {
    /// The value, or the precise reason it is missing.
    pub fn require(&self) -> Result<Value, ActionError> {
        self.value.clone().ok_or_else(|| {
            ActionError::new(
                self.missing
                    .clone()
                    .unwrap_or_else(|| format!("Undefined variable: '{}'", self.name)),
            )
        })
    }
}

impl Operand<'_> {
    /// The first specifier, if any.
    pub fn spec(&self) -> Option<&str> {
        self.specs.first().copied()
    }
}

/// A statement being executed.
#[derive(Debug)]
pub struct Call<'a> {
    /// The verb as written.
    pub verb: &'a str,
    /// The result operand.
    pub result: Operand<'a>,
    /// Clauses in source order: (word, operand) (inline up to three: no allocation).
    pub clauses: Clauses<'a>,
}

impl<'a> Call<'a> {
    /// The first clause with one of `words`.
    pub fn clause(&self, words: &[&str]) -> Option<&Operand<'a>> {
        self.clauses
            .iter()
            .find(|(w, _)| words.contains(w))
            .map(|(_, o)| o)
    }

    /// The object: the first prepositional clause (not `where`, `when`, `by`, ...).
    pub fn object(&self) -> Option<&Operand<'a>> {
        self.clauses
            .iter()
            .find(|(w, _)| {
                !w.starts_with("where") && !matches!(*w, "by" | "default" | "unit" | "as")
            })
            .map(|(_, o)| o)
    }

    /// The object's preposition.
    pub fn prep(&self) -> &'a str {
        self.clauses
            .iter()
            .find(|(w, _)| {
                !w.starts_with("where") && !matches!(*w, "by" | "default" | "unit" | "as")
            })
            .map_or("", |(w, _)| *w)
    }

    /// The object's value, or an error naming it.
    pub fn object_value(&self) -> Result<Value, ActionError> {
        let o = self
            .object()
            .ok_or_else(|| ActionError::new("statement has no object"))?;
        match o.require()? {
            Value::Stream(_) => Err(ActionError::new(crate::value::stream::only_iterable("use"))),
            v => Ok(v),
        }
    }

    /// The value of a `with` clause that is not the object itself.
    pub fn with_value(&self) -> Option<Value> {
        let obj = self.clauses.iter().position(|(w, _)| {
            !w.starts_with("where") && !matches!(*w, "by" | "default" | "unit" | "as")
        });
        self.clauses
            .iter()
            .enumerate()
            .find(|(i, (w, _))| *w == "with" && Some(*i) != obj)
            .and_then(|(_, (_, o))| o.value.clone())
    }
}

/// A response from `Return`: status name, reason (object name) and data.
#[derive(Clone, Debug)]
pub struct Response {
    /// `OK`, `Created`, `NotFound`...
    pub status: String,
    /// The object's name (`startup` in `for the <startup>`).
    pub reason: String,
    /// Data entries (key, value), unsorted.
    pub data: Vec<(Rc<str>, Value)>,
    /// The `with` value as given (an HTTP response body).
    pub value: Option<Value>,
}

/// An outbound HTTP request (the `Request` action).
#[derive(Clone, Debug)]
pub struct HttpCall {
    /// Upper-case method.
    pub method: String,
    /// Absolute `http://host:port/path` URL.
    pub url: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body (sent as JSON when it is not a string).
    pub body: Option<Value>,
}

/// Something the VM must wait for; the fiber is resumed with its result.
#[derive(Clone, Debug)]
pub enum IoRequest {
    /// Sleep for this many milliseconds.
    Sleep(u64),
    /// Keep the application alive until shutdown (or until idle when nothing can wake it).
    Keepalive,
    /// Start the HTTP server (port from the statement, else the contract).
    StartHttp {
        /// `{ port: N }` in the statement.
        port: Option<u16>,
        /// The statement's `with { ... }` object (`websocket`, limits, origins).
        config: Option<Value>,
    },
    /// Send a message to one connection (WebSocket or TCP socket) by id.
    SendTo {
        /// The connection id.
        id: String,
        /// Strings go as text frames, everything else as JSON text.
        payload: Value,
    },
    /// Send a message to every open WebSocket connection.
    WsBroadcast {
        /// Strings go as-is, objects and lists as JSON.
        payload: Value,
    },
    /// Close one connection (WebSocket or TCP socket).
    CloseConn {
        /// The connection id.
        id: String,
    },
    /// Send bytes to every connection of the socket servers.
    TcpBroadcast {
        /// Strings and bytes go as they are, other values as JSON.
        payload: Value,
    },
    /// Start a TCP socket server (`ARO_SOCKET_PORT` overrides the port; default 9000).
    StartSocket {
        /// `{ port: N }` or `with N`.
        port: Option<u16>,
    },
    /// Stop the socket servers.
    StopSocket,
    /// Open an outbound TCP connection; resumed with its id.
    Connect {
        /// Host name or IP.
        host: String,
        /// Port.
        port: u16,
    },
    /// Stop the HTTP server.
    StopHttp,
    /// Perform an outbound HTTP request; resumed with the response value.
    Http(HttpCall),
    /// Render the template at `path` (under `templates/`) with the caller's variables plus
    /// `with`; resumed with the text, or (`append`) the text is added to the caller's template.
    Render {
        /// Path under `templates/`.
        path: String,
        /// Extra variables (`with { k: v }`).
        with: Option<Value>,
        /// `Include`: append to the caller's own template output.
        append: bool,
    },
    /// A file-system operation; resumed with its result value.
    File(FileOp),
    /// Start the file monitor on a directory (ARO-0008 §5).
    StartMonitor {
        /// The directory.
        path: String,
    },
    /// Stop the file monitor.
    StopMonitor,
}

/// A file-system operation a fiber waits for (the VM runs it off the loop).
#[derive(Clone, Debug)]
pub enum FileOp {
    /// Read a file and convert it from `format`.
    Read {
        /// The path (relative to the working directory).
        path: String,
        /// How to convert the bytes.
        format: crate::formats::Format,
        /// CSV/TSV options.
        options: crate::formats::Options,
    },
    /// Write (atomically replace) or append to a file.
    Write {
        /// The path.
        path: String,
        /// The value to write.
        value: Value,
        /// How to convert it.
        format: crate::formats::Format,
        /// CSV/TSV options.
        options: crate::formats::Options,
        /// The written variable's name (XML root, SQL table, TOML array).
        name: String,
        /// Append instead of replacing.
        append: bool,
    },
    /// A file-system operation on paths alone.
    Path(PathOp),
    /// Open a file as a stream of lines (resumed with a [`Value::Stream`]).
    StreamOpen {
        /// The path.
        path: String,
    },
    /// The next chunk of lines of an open stream (resumed with a list of lines; an empty
    /// list at the end of the file).
    StreamNext {
        /// The stream's id.
        id: u64,
    },
}

/// A file-system operation on paths alone (no values): the file worker runs it as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathOp {
    /// List a directory's entries.
    List {
        /// The directory.
        path: String,
        /// Descend into subdirectories.
        recursive: bool,
        /// A glob on entry names (`*`, `?`; case-insensitive).
        pattern: Option<String>,
    },
    /// A path's metadata.
    Stat {
        /// The path.
        path: String,
    },
    /// Whether a path exists (`dir`: Some(true) a directory, Some(false) a file, None any).
    Exists {
        /// The path.
        path: String,
        /// The kind asked for.
        dir: Option<bool>,
    },
    /// Create a directory (with its parents) or touch a file.
    Make {
        /// The path.
        path: String,
        /// A file, not a directory.
        file: bool,
    },
    /// Copy or move a file or directory.
    Copy {
        /// Source.
        from: String,
        /// Destination (replaced when it exists).
        to: String,
        /// Move instead of copy.
        moving: bool,
    },
    /// Delete a file or directory (recursively); a missing path is not an error.
    Delete {
        /// The path.
        path: String,
    },
}

impl IoRequest {
    /// True for requests whose statement binds nothing when it resumes (file writes, copies,
    /// moves, deletes and touches, whatever the verb's role).
    pub fn binds_nothing(&self) -> bool {
        matches!(
            self,
            IoRequest::File(
                FileOp::Write { .. }
                    | FileOp::Path(
                        PathOp::Copy { .. }
                            | PathOp::Delete { .. }
                            | PathOp::Make { file: true, .. }
                    )
            )
        )
    }
}

/// What an action produced.
#[derive(Debug)]
pub enum Outcome {
    /// Bind the result name to this value.
    Bind(Value),
    /// Bind this name (not the result base) to a value.
    BindAs(String, Value),
    /// Nothing to bind.
    Nothing,
    /// End the feature set with this response.
    Return(Response),
    /// Suspend the fiber; bind the value when resumed.
    Suspend(IoRequest, Value),
}

/// An action failure. The VM reports it as the reference does: the failed statement is the message.
#[derive(Debug, Clone)]
pub struct ActionError {
    /// The underlying reason (shown in a hint line; the statement is the message).
    pub detail: String,
    /// True for `Throw`: a deliberate error.
    pub thrown: bool,
}

impl ActionError {
    /// A failure with a reason.
    pub fn new(detail: impl Into<String>) -> Self {
        ActionError {
            detail: detail.into(),
            thrown: false,
        }
    }
}

/// What actions may ask of the runtime. The VM implements it; tests use a fake.
pub trait Host {
    /// Writes one log message (already formatted) to stdout or stderr.
    fn log(&mut self, to_stderr: bool, text: &str);
    /// Queues handlers of a domain event.
    fn emit(&mut self, event: &str, payload: Value);
    /// The current time as an ISO-8601 UTC string.
    fn now(&mut self) -> String;
    /// The current time in seconds since the Unix epoch.
    fn unix_seconds(&mut self) -> f64;
    /// A fresh unique id (uppercase UUID form).
    fn new_id(&mut self) -> String;
    /// The in-memory repositories.
    fn repos(&mut self) -> &mut Repositories;
    /// A repository changed: queue its observers with this event object.
    fn repo_changed(&mut self, repo: &str, event: Value);
    /// True when some observer watches `repo` (its change records are worth building).
    fn observes(&self, repo: &str) -> bool {
        let _ = repo;
        true
    }
    /// Appends to the template being rendered; false when no template is being rendered.
    fn write_template(&mut self, text: &str) -> bool;
    /// True in the developer context (`--debug`, ARO-0031): Log prints typed values.
    fn developer(&self) -> bool {
        false
    }
    /// Writes one developer-context log line for `target` (`LOG[console] Feature: text`).
    fn log_developer(&mut self, to_stderr: bool, target: &str, text: &str) {
        let _ = target;
        self.log(to_stderr, text);
    }
}
