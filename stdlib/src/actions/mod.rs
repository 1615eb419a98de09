//! Dispatch: [`ActionId`] → the function of its family module.

mod collection;
mod files;
pub mod link_header;
mod own;
mod request;
mod response;
mod server;

use crate::action::{ActionError, Call, Host, Outcome};
use crate::catalog::ActionId;
use crate::value::{compare, equals, to_display, Value};

/// Runs one action.
pub fn run(id: ActionId, call: &Call, host: &mut dyn Host) -> Result<Outcome, ActionError> {
    use ActionId::*;
    match id {
        Extract => request::extract(call),
        Parse => request::parse(call),
        CallAction | When => Err(ActionError::new(
            "a feature set call runs in the VM, not as a library action",
        )),
        Retrieve => request::retrieve(call, host),
        Receive => request::passthrough(call),
        Read => files::read(call),
        Request => request::http(call),
        Require => request::require(call),
        Compute => own::compute(call),
        Validate => own::validate(call),
        Compare => own::compare(call),
        Transform => own::transform(call),
        Create => own::create(call, host),
        Update => own::update(call, host),
        Accept => own::accept(call, host),
        Merge => own::merge(call),
        Delete => files::delete(call).unwrap_or_else(|| request::delete(call, host)),
        Sort => collection::sort(call),
        Split => collection::split(call),
        Join => collection::join(call),
        Map => collection::map(call),
        Reduce => collection::reduce(call),
        Filter => collection::filter(call),
        Group => collection::group(call),
        Return => response::ret(call),
        Throw => response::throw(call),
        Log => response::log(call, host),
        Emit => response::emit(call, host),
        Notify => response::notify(call, host),
        Store => response::store(call, host),
        Send => response::send(call),
        Broadcast => response::broadcast(call),
        Write => files::write(call),
        Publish => Ok(Outcome::Nothing),
        Start => server::start(call),
        Listen => server::listen(call),
        List => files::list(call),
        Stat => files::stat(call),
        Exists => files::exists(call),
        Make => files::make(call),
        Copy => files::copy_or_move(call, false),
        Move => files::copy_or_move(call, true),
        Append => files::append(call),
        Stream => files::stream(call),
        Stop => server::stop(call),
        Close => server::close(call),
        Connect => server::connect(call),
        Keepalive => server::keepalive(call),
        Sleep => server::sleep(call),
        Given => own::create(call, host),
        Include => response::include(call),
        Assert => response::assert(call),
    }
}

/// A row predicate built from a `where` clause.
pub(crate) type Predicate<'c> = Box<dyn Fn(&Value) -> bool + 'c>;

/// The predicate of a `where <field> op <value>` clause, if the statement has one.
/// The field and value of a `where <field> is <v>` (equality) clause: answered by an index.
pub(crate) fn where_equals<'c>(call: &'c Call) -> Option<(&'c str, Value)> {
    let field = call.clause(&["where"])?.name;
    call.clauses
        .iter()
        .find(|(w, _)| *w == "where ==")
        .map(|(_, o)| (field, o.value.clone().unwrap_or_default()))
}

pub(crate) fn where_clause<'c>(call: &'c Call) -> Option<(&'c str, Predicate<'c>)> {
    let field = call.clause(&["where"])?.name;
    let (word, rhs) = call
        .clauses
        .iter()
        .find(|(w, _)| w.starts_with("where "))
        .map(|(w, o)| (*w, o.value.clone().unwrap_or_default()))?;
    let op = word.trim_start_matches("where ");
    let pred = move |v: &Value| -> bool {
        match op {
            "==" => equals(v, &rhs),
            "!=" => !equals(v, &rhs),
            "<" => compare(v, &rhs).is_some_and(|o| o.is_lt()),
            "<=" => compare(v, &rhs).is_some_and(|o| o.is_le()),
            ">" => compare(v, &rhs).is_some_and(|o| o.is_gt()),
            ">=" => compare(v, &rhs).is_some_and(|o| o.is_ge()),
            "contains" => to_display(v).contains(&to_display(&rhs)),
            "in" => match &rhs {
                Value::List(l) => l.iter().any(|x| equals(x, v)),
                other => to_display(other)
                    .split(',')
                    .any(|p| p.trim() == to_display(v)),
            },
            "not in" => match &rhs {
                Value::List(l) => !l.iter().any(|x| equals(x, v)),
                other => !to_display(other)
                    .split(',')
                    .any(|p| p.trim() == to_display(v)),
            },
            _ => false,
        }
    };
    Some((field, Box::new(pred)))
}
