//! Values that can be logged as params: strings, integers, floats, booleans and JSON.

/// A value loggable as a param; params are stored as strings, as in MLflow.
///
/// ```
/// use specweave_tracking::ParamValue;
/// assert_eq!(0.1_f64.to_param_string(), "0.1");
/// assert_eq!(true.to_param_string(), "true");
/// assert_eq!(serde_json::json!({"depth": 3}).to_param_string(), r#"{"depth":3}"#);
/// ```
pub trait ParamValue {
    /// The string stored in `params.json`.
    fn to_param_string(&self) -> String;
}

impl ParamValue for str {
    fn to_param_string(&self) -> String {
        self.to_owned()
    }
}

impl ParamValue for String {
    fn to_param_string(&self) -> String {
        self.clone()
    }
}

impl<T: ParamValue + ?Sized> ParamValue for &T {
    fn to_param_string(&self) -> String {
        (**self).to_param_string()
    }
}

macro_rules! display_params {
    ($($ty:ty),*) => {$(
        impl ParamValue for $ty {
            fn to_param_string(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
display_params!(
    bool, i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

impl ParamValue for f64 {
    fn to_param_string(&self) -> String {
        // Debug keeps a decimal point on whole numbers (`1.0`), like Python's `str(float)`.
        format!("{self:?}")
    }
}

impl ParamValue for f32 {
    fn to_param_string(&self) -> String {
        format!("{self:?}")
    }
}

impl ParamValue for serde_json::Value {
    fn to_param_string(&self) -> String {
        match self {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}
