//! The search language: a filter of conditions joined by `and`, as in MLflow
//! (`metrics.precision@10 > 0.2 and params.model = 'gbdt'`), and an order
//! (`metrics.rmse asc, attributes.start_time desc`).
//!
//! Fields: `metrics.<key>`, `params.<key>`, `tags.<key>`, and the attributes `status`,
//! `name`, `id`, `number`, `start_time`, `end_time`, `duration` (optionally written
//! `attributes.<name>`). Keys may be quoted with backticks or double quotes. Operators:
//! `=`, `!=`, `<`, `<=`, `>`, `>=` and, for text, `like` and `ilike` (`%` and `_` wildcards).

use crate::error::{Result, TrackingError};
use crate::read::RunSummary;
use std::cmp::Ordering;

/// Whether larger or smaller values of a metric are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Larger is better (accuracy, precision, AUC).
    Maximize,
    /// Smaller is better (loss, error).
    Minimize,
}

impl Direction {
    /// A guess from the metric name: losses, errors and distances are minimized.
    ///
    /// ```
    /// use specweave_tracking::Direction;
    /// assert_eq!(Direction::for_metric("val_loss"), Direction::Minimize);
    /// assert_eq!(Direction::for_metric("rmse"), Direction::Minimize);
    /// assert_eq!(Direction::for_metric("precision@10"), Direction::Maximize);
    /// ```
    pub fn for_metric(key: &str) -> Direction {
        let key = key.to_ascii_lowercase();
        const SMALLER_IS_BETTER: &[&str] = &[
            "loss",
            "error",
            "mse",
            "mae",
            "mape",
            "rmse",
            "smape",
            "mase",
            "rmsse",
            "wape",
            "deviance",
            "brier",
            "latency",
            "time",
            "perplexity",
            "distance",
            "log_loss",
            "logloss",
        ];
        if SMALLER_IS_BETTER.iter().any(|word| {
            key.split(|c: char| !c.is_ascii_alphanumeric())
                .any(|part| part == *word || part.ends_with(word) && word.len() > 3)
        }) {
            Direction::Minimize
        } else {
            Direction::Maximize
        }
    }

    /// Whether `candidate` beats `incumbent`.
    pub fn is_better(self, candidate: f64, incumbent: f64) -> bool {
        match self {
            Direction::Maximize => candidate > incumbent,
            Direction::Minimize => candidate < incumbent,
        }
    }
}

/// What a condition or order key looks at.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    /// Latest value of a metric.
    Metric(String),
    /// A param.
    Param(String),
    /// A tag.
    Tag(String),
    /// The run status (`finished`, `failed`, `killed`, `running`; MLflow's upper-case names too).
    Status,
    /// The experiment name.
    Name,
    /// The folder name `exp-NNN-<name>`.
    Id,
    /// The experiment number.
    Number,
    /// Start time, ms since the epoch.
    StartTime,
    /// End time, ms since the epoch.
    EndTime,
    /// Duration in seconds.
    Duration,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `like` (case-sensitive, `%` and `_` wildcards)
    Like,
    /// `ilike` (case-insensitive)
    ILike,
}

/// A literal on the right of a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A number.
    Number(f64),
    /// A quoted string.
    Text(String),
}

/// One `field operator literal` condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The field.
    pub field: Field,
    /// The operator.
    pub operator: Operator,
    /// The literal.
    pub value: Literal,
}

/// One `field [asc|desc]` order key.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderKey {
    /// The field.
    pub field: Field,
    /// Ascending when true.
    pub ascending: bool,
}

/// A parsed filter and order. Runs lacking an ordered value come last.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchQuery {
    /// Conditions, all of which must hold.
    pub conditions: Vec<Condition>,
    /// Order keys, most significant first; by experiment number when empty.
    pub order: Vec<OrderKey>,
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    clause: &'static str,
}

impl<'a> Lexer<'a> {
    fn error(&self, message: impl Into<String>) -> TrackingError {
        TrackingError::Query {
            clause: self.clause,
            column: self.text[..self.pos].chars().count() + 1,
            message: message.into(),
        }
    }

    fn skip_space(&mut self) {
        while let Some(c) = self.peek() {
            if !c.is_whitespace() {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn at_end(&mut self) -> bool {
        self.skip_space();
        self.pos >= self.text.len()
    }

    fn quoted(&mut self, quote: char) -> Result<String> {
        self.pos += quote.len_utf8();
        let rest = &self.text[self.pos..];
        match rest.find(quote) {
            Some(end) => {
                let value = rest[..end].to_owned();
                self.pos += end + quote.len_utf8();
                Ok(value)
            }
            None => Err(self.error(format!("missing closing {quote}"))),
        }
    }

    /// A bare word: everything up to whitespace, a comparison character or a comma.
    fn word(&mut self) -> String {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_whitespace() || matches!(c, '<' | '>' | '=' | '!' | ',') {
                break;
            }
            self.pos += c.len_utf8();
        }
        self.text[start..self.pos].to_owned()
    }

    fn field(&mut self) -> Result<Field> {
        self.skip_space();
        let start = self.pos;
        let mut head_end = self.pos;
        while let Some(c) = self.text[head_end..].chars().next() {
            if !(c.is_alphanumeric() || c == '_') {
                break;
            }
            head_end += c.len_utf8();
        }
        let (prefix, key) = if self.text[head_end..].starts_with('.') {
            let prefix = self.text[start..head_end].to_ascii_lowercase();
            self.pos = head_end + 1;
            let key = match self.peek() {
                Some(quote @ ('`' | '"')) => self.quoted(quote)?,
                _ => self.word(),
            };
            (prefix, key)
        } else {
            let word = self.word();
            if word.is_empty() {
                return Err(self.error("expected a field such as `metrics.rmse` or `params.model`"));
            }
            (String::new(), word)
        };
        let field = match prefix.as_str() {
            "metrics" | "metric" => Field::Metric(key),
            "params" | "param" => Field::Param(key),
            "tags" | "tag" => Field::Tag(key),
            "attributes" | "attribute" | "attr" | "run" | "" => {
                match key.to_ascii_lowercase().as_str() {
                    "status" => Field::Status,
                    "name" | "run_name" => Field::Name,
                    "id" | "run_id" => Field::Id,
                    "number" => Field::Number,
                    "start_time" => Field::StartTime,
                    "end_time" => Field::EndTime,
                    "duration" => Field::Duration,
                    other => {
                        self.pos = start;
                        return Err(self.error(format!(
                            "unknown field `{other}`; use metrics.<key>, params.<key>, tags.<key>, status, name, id, number, start_time, end_time or duration"
                        )));
                    }
                }
            }
            other => {
                self.pos = start;
                return Err(self.error(format!(
                    "unknown field prefix `{other}`; use metrics., params., tags. or attributes."
                )));
            }
        };
        if matches!(&field, Field::Metric(k) | Field::Param(k) | Field::Tag(k) if k.is_empty()) {
            self.pos = start;
            return Err(self.error("the field has no key after the dot"));
        }
        Ok(field)
    }

    fn operator(&mut self) -> Result<Operator> {
        self.skip_space();
        let rest = &self.text[self.pos..];
        for (symbol, operator) in [
            ("!=", Operator::Ne),
            ("<>", Operator::Ne),
            ("<=", Operator::Le),
            (">=", Operator::Ge),
            ("==", Operator::Eq),
            ("=", Operator::Eq),
            ("<", Operator::Lt),
            (">", Operator::Gt),
        ] {
            if rest.starts_with(symbol) {
                self.pos += symbol.len();
                return Ok(operator);
            }
        }
        let start = self.pos;
        let word = self.word().to_ascii_lowercase();
        match word.as_str() {
            "like" => Ok(Operator::Like),
            "ilike" => Ok(Operator::ILike),
            _ => {
                self.pos = start;
                Err(self.error("expected an operator: =, !=, <, <=, >, >=, like or ilike"))
            }
        }
    }

    fn literal(&mut self) -> Result<Literal> {
        self.skip_space();
        match self.peek() {
            Some(quote @ ('\'' | '"')) => Ok(Literal::Text(self.quoted(quote)?)),
            Some(_) => {
                let start = self.pos;
                let word = self.word();
                word.parse::<f64>().map(Literal::Number).map_err(|_| {
                    self.pos = start;
                    self.error(format!("`{word}` is neither a number nor a quoted string"))
                })
            }
            None => Err(self.error("expected a value")),
        }
    }

    fn keyword(&mut self, keyword: &str) -> bool {
        self.skip_space();
        let rest = &self.text[self.pos..];
        let matches = rest.len() >= keyword.len()
            && rest[..keyword.len()].eq_ignore_ascii_case(keyword)
            && rest[keyword.len()..]
                .chars()
                .next()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.'));
        if matches {
            self.pos += keyword.len();
        }
        matches
    }
}

fn like(pattern: &str, text: &str) -> bool {
    fn matches(pattern: &[char], text: &[char]) -> bool {
        match pattern.split_first() {
            None => text.is_empty(),
            Some(('%', rest)) => (0..=text.len()).any(|skip| matches(rest, &text[skip..])),
            Some(('_', rest)) => !text.is_empty() && matches(rest, &text[1..]),
            Some((c, rest)) => text.first() == Some(c) && matches(rest, &text[1..]),
        }
    }
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    matches(&pattern, &text)
}

enum Value<'a> {
    Number(f64),
    Text(std::borrow::Cow<'a, str>),
}

fn field_value<'a>(run: &'a RunSummary, field: &Field) -> Option<Value<'a>> {
    use std::borrow::Cow;
    match field {
        Field::Metric(key) => run.metric(key).map(Value::Number),
        Field::Param(key) => run.param(key).map(|v| Value::Text(Cow::Borrowed(v))),
        Field::Tag(key) => run.tag(key).map(|v| Value::Text(Cow::Borrowed(v))),
        Field::Status => Some(Value::Text(Cow::Owned(
            run.record.status.mlflow_name().to_owned(),
        ))),
        Field::Name => Some(Value::Text(Cow::Borrowed(&run.record.name))),
        Field::Id => Some(Value::Text(Cow::Borrowed(&run.record.id))),
        Field::Number => Some(Value::Number(f64::from(run.record.number))),
        Field::StartTime => Some(Value::Number(run.record.start_time_ms as f64)),
        Field::EndTime => run.record.end_time_ms.map(|t| Value::Number(t as f64)),
        Field::Duration => run.duration_s().map(Value::Number),
    }
}

fn compare_ordering(ordering: Option<Ordering>, operator: Operator) -> bool {
    match (ordering, operator) {
        (Some(o), Operator::Eq) => o == Ordering::Equal,
        (Some(o), Operator::Ne) => o != Ordering::Equal,
        (None, Operator::Ne) => true,
        (Some(o), Operator::Lt) => o == Ordering::Less,
        (Some(o), Operator::Le) => o != Ordering::Greater,
        (Some(o), Operator::Gt) => o == Ordering::Greater,
        (Some(o), Operator::Ge) => o != Ordering::Less,
        _ => false,
    }
}

impl Condition {
    /// Whether `run` satisfies the condition (a missing field never does).
    pub fn holds(&self, run: &RunSummary) -> bool {
        let Some(value) = field_value(run, &self.field) else {
            return false;
        };
        match (&value, &self.value) {
            (Value::Number(actual), Literal::Number(wanted)) => {
                compare_ordering(actual.partial_cmp(wanted), self.operator)
            }
            (Value::Text(actual), Literal::Text(wanted)) => {
                let (actual, wanted) = if self.field == Field::Status {
                    (actual.to_ascii_uppercase(), wanted.to_ascii_uppercase())
                } else {
                    (actual.to_string(), wanted.clone())
                };
                match self.operator {
                    Operator::Like => like(&wanted, &actual),
                    Operator::ILike => like(&wanted.to_lowercase(), &actual.to_lowercase()),
                    operator => compare_ordering(Some(actual.cmp(&wanted)), operator),
                }
            }
            // A param compared with a number: compare numerically when it is one.
            (Value::Text(actual), Literal::Number(wanted)) => actual
                .trim()
                .parse::<f64>()
                .is_ok_and(|actual| compare_ordering(actual.partial_cmp(wanted), self.operator)),
            (Value::Number(actual), Literal::Text(wanted)) => wanted
                .trim()
                .parse::<f64>()
                .is_ok_and(|wanted| compare_ordering(actual.partial_cmp(&wanted), self.operator)),
        }
    }
}

impl SearchQuery {
    /// Parses a filter (empty for all runs) and an order (empty for experiment-number order).
    pub fn parse(filter: &str, order_by: &str) -> Result<SearchQuery> {
        Ok(SearchQuery {
            conditions: Self::parse_filter(filter)?,
            order: Self::parse_order(order_by)?,
        })
    }

    fn parse_filter(filter: &str) -> Result<Vec<Condition>> {
        let mut lexer = Lexer {
            text: filter,
            pos: 0,
            clause: "filter",
        };
        let mut conditions = Vec::new();
        if lexer.at_end() {
            return Ok(conditions);
        }
        loop {
            let field = lexer.field()?;
            let operator = lexer.operator()?;
            let value = lexer.literal()?;
            if matches!(operator, Operator::Like | Operator::ILike)
                && !matches!(value, Literal::Text(_))
            {
                return Err(lexer.error("like and ilike need a quoted pattern"));
            }
            conditions.push(Condition {
                field,
                operator,
                value,
            });
            if lexer.at_end() {
                return Ok(conditions);
            }
            if !lexer.keyword("and") {
                return Err(lexer.error(
                    "expected `and` between conditions (MLflow filters support only `and`)",
                ));
            }
        }
    }

    fn parse_order(order_by: &str) -> Result<Vec<OrderKey>> {
        let mut lexer = Lexer {
            text: order_by,
            pos: 0,
            clause: "order by",
        };
        let mut order = Vec::new();
        if lexer.at_end() {
            return Ok(order);
        }
        loop {
            let field = lexer.field()?;
            let ascending = if lexer.keyword("desc") {
                false
            } else {
                lexer.keyword("asc");
                true
            };
            order.push(OrderKey { field, ascending });
            if lexer.at_end() {
                return Ok(order);
            }
            lexer.skip_space();
            if lexer.peek() != Some(',') {
                return Err(lexer.error("expected `,`, `asc` or `desc`"));
            }
            lexer.pos += 1;
        }
    }

    /// Which run files the conditions need (the order is applied to whole runs).
    pub(crate) fn needs(&self) -> crate::read::Needs {
        let mut needs = crate::read::Needs {
            record: false,
            params: false,
            metrics: false,
        };
        for condition in &self.conditions {
            match condition.field {
                Field::Metric(_) => needs.metrics = true,
                Field::Param(_) => needs.params = true,
                // The folder name gives the number, id and name without reading run.json.
                Field::Number | Field::Id | Field::Name => {}
                _ => needs.record = true,
            }
        }
        needs
    }

    /// Keeps the matching runs and sorts them.
    pub fn apply(&self, runs: Vec<RunSummary>) -> Vec<RunSummary> {
        let mut kept: Vec<RunSummary> = runs
            .into_iter()
            .filter(|run| self.conditions.iter().all(|c| c.holds(run)))
            .collect();
        if self.order.is_empty() {
            kept.sort_by_key(|run| run.record.number);
        } else {
            kept.sort_by(|a, b| self.compare(a, b));
        }
        kept
    }

    fn compare(&self, a: &RunSummary, b: &RunSummary) -> Ordering {
        for key in &self.order {
            let ordering = match (field_value(a, &key.field), field_value(b, &key.field)) {
                (Some(Value::Number(x)), Some(Value::Number(y))) if !x.is_nan() && !y.is_nan() => {
                    let o = x.total_cmp(&y);
                    if key.ascending { o } else { o.reverse() }
                }
                (Some(Value::Text(x)), Some(Value::Text(y))) => {
                    let o = x.cmp(&y);
                    if key.ascending { o } else { o.reverse() }
                }
                // Missing and NaN values sort last, whatever the direction.
                (Some(Value::Number(x)), Some(Value::Number(y))) => {
                    y.is_nan().cmp(&x.is_nan()).reverse()
                }
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                _ => Ordering::Equal,
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        a.record.number.cmp(&b.record.number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_mlflow_style_filter() -> Result<()> {
        let query = SearchQuery::parse(
            "metrics.precision@10 > 0.2 and params.model = 'gbdt' AND tags.`specweave.role` != \"baseline\"",
            "metrics.precision@10 desc, attributes.start_time",
        )?;
        assert_eq!(query.conditions.len(), 3);
        assert_eq!(
            query.conditions[0].field,
            Field::Metric("precision@10".into())
        );
        assert_eq!(query.conditions[0].operator, Operator::Gt);
        assert_eq!(query.conditions[1].value, Literal::Text("gbdt".into()));
        assert_eq!(
            query.conditions[2].field,
            Field::Tag("specweave.role".into())
        );
        assert_eq!(query.order.len(), 2);
        assert!(!query.order[0].ascending && query.order[1].ascending);
        Ok(())
    }

    #[test]
    fn bad_queries_name_the_column() {
        let error = SearchQuery::parse("metrics.x >", "").expect_err("missing value");
        assert!(error.to_string().contains("column 12"), "{error}");
        let error = SearchQuery::parse("metrics.x > 1 or params.y = 'a'", "").expect_err("or");
        assert!(error.to_string().contains("`and`"), "{error}");
        let error = SearchQuery::parse("bogus.x = 1", "").expect_err("prefix");
        assert!(error.to_string().contains("column 1"), "{error}");
        assert!(SearchQuery::parse("params.x like 3", "").is_err());
        assert!(SearchQuery::parse("", "metrics.x sideways").is_err());
    }

    #[test]
    fn like_patterns() {
        assert!(like("gb%", "gbdt"));
        assert!(like("g_dt", "gbdt"));
        assert!(!like("gb", "gbdt"));
        assert!(like("%", ""));
    }

    #[test]
    fn directions_from_names() {
        assert_eq!(Direction::for_metric("train/loss"), Direction::Minimize);
        assert_eq!(Direction::for_metric("cv_mase"), Direction::Minimize);
        assert_eq!(
            Direction::for_metric("mean_absolute_error"),
            Direction::Minimize
        );
        assert_eq!(Direction::for_metric("accuracy"), Direction::Maximize);
        assert_eq!(Direction::for_metric("ndcg@10"), Direction::Maximize);
    }
}
