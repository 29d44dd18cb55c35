//! The reference semantics of the EML stage: the `f64` complex functions and the
//! certified complex rectangles agree with each other and with mpmath, on both sides of
//! every branch cut and exactly on the cuts; powers with whole exponents are products;
//! whatever has no value fails, and never panics.

use gauge::eml::ball::Ball;
use gauge::eml::complex::C64;
use gauge::eml::reference::{Error, eval_ball, eval_f64};
use gauge::lower::workspace::Workspace;
use gauge::numeric::precise::Fail;

/// The precision of the certified evaluations, in bits.
const BITS: usize = 256;

/// A formula of `x` (and `y`), a point, and the value mpmath gives there.
struct Case {
    text: &'static str,
    at: Vec<(&'static str, C64)>,
    value: C64,
}

/// The formula's `f64` and certified values at the case's point.
fn both(case: &Case) -> (Result<C64, Error>, Result<Ball, Fail>) {
    let mut s = Workspace::with_prelude().unwrap();
    let e = s.parse_expression(case.text).unwrap();
    let f = eval_f64(&mut s.pool, e, &case.at);
    let b = eval_ball(&mut s.pool, e, &case.at, BITS);
    (f, b)
}

/// Asserts that both evaluations hold the case's value: the `f64` one to 1e-13 of
/// its modulus, the certified one to the literal's own precision, narrow, and
/// holding the `f64` value to 1e-13 of its modulus.
fn check(case: &Case) {
    let (f, b) = both(case);
    let name = format!("{} at {:?}", case.text, case.at);
    let f = f.unwrap_or_else(|e| panic!("{name}: no f64 value: {e:?}"));
    let b = b.unwrap_or_else(|e| panic!("{name}: no enclosure: {e:?}"));
    let size = case.value.abs().max(1e-300);
    let error = (f - case.value).abs();
    assert!(
        error <= 1e-13 * size,
        "{name}: f64 gives {f:?}, mpmath {:?}",
        case.value
    );
    assert!(
        b.holds(case.value, 1e-15 * size),
        "{name}: the enclosure {b:?} misses mpmath's {:?}",
        case.value
    );
    assert!(
        b.holds(f, 1e-13 * size),
        "{name}: the enclosure {b:?} misses the f64 value {f:?}"
    );
    assert!(b.width() < 1e-60 * size.max(1.0), "{name}: too wide: {b:?}");
}

/// A case of one variable `x`.
fn unary(text: &'static str, re: f64, im: f64, value_re: f64, value_im: f64) -> Case {
    Case {
        text,
        at: vec![("x", C64::new(re, im))],
        value: C64::new(value_re, value_im),
    }
}

/// The calculator's functions at `x = re + im i`, with mpmath's values (mpmath 1.4.1,
/// 40 digits, rounded to `f64`), as `(formula, re, im, value's re, value's im)`.
/// On the cuts, the values are the defining formulas' under the convention (ln of a
/// negative real is `ln r + πi`), computed in mpmath; mpmath's own functions agree with
/// them at every point here, on the cuts included. Generic points include `|Im x| > π`; the last rows
/// are large arguments, where forms that overflow or cancel would fail.
#[rustfmt::skip]
#[allow(clippy::approx_constant)] // mpmath's digits, written as it gives them.
const TABLE: &[(&str, f64, f64, f64, f64)] = &[
    ("ln(x)", 0.7, 0.0, -0.35667494393873245, 0.0), // generic
    ("ln(x)", -2.5, 0.0, 0.9162907318741551, 3.141592653589793), // on the cut
    ("ln(x)", 1.0, 4.0, 1.416606672028108, 1.3258176636680326), // generic
    ("ln(x)", -0.3, 5.0, 1.6112346801891655, 1.6307244819161044), // generic
    ("ln(x)", 2.0, -7.0, 1.985145956776061, -1.2924966677897853), // generic
    ("ln(x)", -1.25, -0.5, 0.2973535538733464, -2.761086276477428), // generic
    ("ln(x)", 0.25, 3.5, 1.2553075032491037, 1.4994888620096063), // generic
    ("ln(x)", -2.0, 0.0, 0.6931471805599453, 3.141592653589793), // on the cut
    ("ln(x)", -2.0, 1e-09, 0.6931471805599453, 3.141592653089793), // above the cut
    ("ln(x)", -2.0, -1e-09, 0.6931471805599453, -3.141592653089793), // below the cut
    ("sqrt(x)", 0.7, 0.0, 0.8366600265340756, 0.0), // generic
    ("sqrt(x)", -2.5, 0.0, 0.0, 1.5811388300841898), // on the cut
    ("sqrt(x)", 1.0, 4.0, 1.600485180440241, 1.2496210676876531), // generic
    ("sqrt(x)", -0.3, 5.0, 1.534436690539443, 1.6292623966917172), // generic
    ("sqrt(x)", 2.0, -7.0, 2.1540786765204882, -1.624824588883446), // generic
    ("sqrt(x)", -1.25, -0.5, 0.21942105845112725, -1.139361927085425), // generic
    ("sqrt(x)", 0.25, 3.5, 1.3709334797692683, 1.2765024895989334), // generic
    ("sqrt(x)", -2.0, 0.0, 0.0, 1.4142135623730951), // on the cut
    ("sqrt(x)", -2.0, 1e-09, 3.535533905932738e-10, 1.4142135623730951), // above the cut
    ("sqrt(x)", -2.0, -1e-09, 3.535533905932738e-10, -1.4142135623730951), // below the cut
    ("exp(x)", 0.7, 0.0, 2.0137527074704766, 0.0), // generic
    ("exp(x)", -2.5, 0.0, 0.0820849986238988, 0.0), // generic
    ("exp(x)", 1.0, 4.0, -1.7767875768817298, -2.057202470728003), // generic
    ("exp(x)", -0.3, 5.0, 0.21014211550955475, -0.7103885749244532), // generic
    ("exp(x)", 2.0, -7.0, 5.570626050452962, -4.854510834178773), // generic
    ("exp(x)", -1.25, -0.5, 0.2514316136224464, -0.1373577165473844), // generic
    ("exp(x)", 0.25, 3.5, -1.2024341881085867, -0.45041458010123503), // generic
    ("sin(x)", 0.7, 0.0, 0.644217687237691, 0.0), // generic
    ("sin(x)", -2.5, 0.0, -0.5984721441039565, 0.0), // generic
    ("sin(x)", 1.0, 4.0, 22.979085577886128, 14.744805188558725), // generic
    ("sin(x)", -0.3, 5.0, -21.930539324372674, 70.88903467523275), // generic
    ("sin(x)", 2.0, -7.0, 498.5832691513212, 228.1800201279545), // generic
    ("sin(x)", -1.25, -0.5, -1.0700996973668528, -0.16431300276137265), // generic
    ("sin(x)", 0.25, 3.5, 4.100182439650617, 16.02835706671902), // generic
    ("cos(x)", 0.7, 0.0, 0.7648421872844885, 0.0), // generic
    ("cos(x)", -2.5, 0.0, -0.8011436155469337, 0.0), // generic
    ("cos(x)", 1.0, 4.0, 14.754701170483756, -22.96367349919304), // generic
    ("cos(x)", -0.3, 5.0, 70.89547168186276, 21.928548124883033), // generic
    ("cos(x)", 2.0, -7.0, -228.18039960474977, 498.5824399793963), // generic
    ("cos(x)", -1.25, -0.5, 0.355565683247121, -0.49451143013196674), // generic
    ("cos(x)", 0.25, 3.5, 16.057615686620064, -4.092711487432808), // generic
    ("tan(x)", 0.7, 0.0, 0.8422883804630794, 0.0), // generic
    ("tan(x)", -2.5, 0.0, 0.7470222972386603, 0.0), // generic
    ("tan(x)", 1.0, 4.0, 0.0006102409213762598, 1.0002790562344657), // generic
    ("tan(x)", -0.3, 5.0, -5.12656152968763e-05, 0.9999250611358977), // generic
    ("tan(x)", 2.0, -7.0, -1.2586073872399413e-06, -1.0000010870466844), // generic
    ("tan(x)", -1.25, -0.5, -0.8066346988510736, -1.583963548284424), // generic
    ("tan(x)", 0.25, 3.5, 0.000872961101835054, 0.9984003950229744), // generic
    ("sinh(x)", 0.7, 0.0, 0.7585837018395335, 0.0), // generic
    ("sinh(x)", -2.5, 0.0, -6.0502044810397875, 0.0), // generic
    ("sinh(x)", 1.0, 4.0, -0.7681627634565731, -1.1678072748895185), // generic
    ("sinh(x)", -0.3, 5.0, -0.08638089195711945, -1.0024004764384604), // generic
    ("sinh(x)", 2.0, -7.0, 2.7342982376643445, -2.4717121507995192), // generic
    ("sinh(x)", -1.25, -0.5, -1.4058162504314682, -0.9053586344209572), // generic
    ("sinh(x)", 0.25, 3.5, -0.23656049336703044, -0.36180241625711296), // generic
    ("cosh(x)", 0.7, 0.0, 1.255169005630943, 0.0), // generic
    ("cosh(x)", -2.5, 0.0, 6.132289479663686, 0.0), // generic
    ("cosh(x)", 1.0, 4.0, -1.0086248134251568, -0.8893951958384847), // generic
    ("cosh(x)", -0.3, 5.0, 0.2965230074666742, 0.2920119015140073), // generic
    ("cosh(x)", 2.0, -7.0, 2.8363278127886167, -2.382798683379253), // generic
    ("cosh(x)", -1.25, -0.5, 1.6572478640539148, 0.7680009178735728), // generic
    ("cosh(x)", 0.25, 3.5, -0.9658736947415564, -0.08861216384412209), // generic
    ("tanh(x)", 0.7, 0.0, 0.6043677771171635, 0.0), // generic
    ("tanh(x)", -2.5, 0.0, -0.9866142981514303, 0.0), // generic
    ("tanh(x)", 1.0, 4.0, 1.002810507583505, 0.27355308280730734), // generic
    ("tanh(x)", -0.3, 5.0, -1.8379479824861402, -1.5705283551772569), // generic
    ("tanh(x)", 2.0, -7.0, 0.9943504089532537, -0.03609431359326247), // generic
    ("tanh(x)", -1.25, -0.5, -0.9067248043194309, -0.12610856648423438), // generic
    ("tanh(x)", 0.25, 3.5, 0.2769532234910957, 0.3491771167142147), // generic
    ("asin(x)", 0.7, 0.0, 0.775397496610753, 0.0), // generic
    ("asin(x)", -2.5, 0.0, -1.5707963267948966, 1.566799236972411), // on the cut
    ("asin(x)", 1.0, 4.0, 0.2383174618098661, 2.1225501238100715), // generic
    ("asin(x)", -0.3, 5.0, -0.05877098528096284, 2.3141328502087344), // generic
    ("asin(x)", 2.0, -7.0, 0.27583726539812564, -2.6822833445007306), // generic
    ("asin(x)", -1.25, -0.5, -1.0611857724687426, -0.8988936293694825), // generic
    ("asin(x)", 0.25, 3.5, 0.0685847167167022, 1.9679838861733177), // generic
    ("asin(x)", -3.0, 0.0, -1.5707963267948966, 1.762747174039086), // on the cut
    ("asin(x)", -3.0, 1e-09, -1.5707963264413431, 1.762747174039086), // above the cut
    ("asin(x)", -3.0, -1e-09, -1.5707963264413431, -1.762747174039086), // below the cut
    ("asin(x)", 5.0, 0.0, 1.5707963267948966, -2.2924316695611777), // on the cut
    ("asin(x)", 5.0, 1e-09, 1.5707963265907725, 2.2924316695611777), // above the cut
    ("asin(x)", 5.0, -1e-09, 1.5707963265907725, -2.2924316695611777), // below the cut
    ("acos(x)", 0.7, 0.0, 0.7953988301841436, 0.0), // generic
    ("acos(x)", -2.5, 0.0, 3.141592653589793, -1.566799236972411), // on the cut
    ("acos(x)", 1.0, 4.0, 1.3324788649850305, -2.1225501238100715), // generic
    ("acos(x)", -0.3, 5.0, 1.6295673120758594, -2.3141328502087344), // generic
    ("acos(x)", 2.0, -7.0, 1.294959061396771, 2.6822833445007306), // generic
    ("acos(x)", -1.25, -0.5, 2.6319820992636394, 0.8988936293694825), // generic
    ("acos(x)", 0.25, 3.5, 1.5022116100781944, -1.9679838861733177), // generic
    ("acos(x)", -3.0, 0.0, 3.141592653589793, -1.762747174039086), // on the cut
    ("acos(x)", -3.0, 1e-09, 3.14159265323624, -1.762747174039086), // above the cut
    ("acos(x)", -3.0, -1e-09, 3.14159265323624, 1.762747174039086), // below the cut
    ("acos(x)", 5.0, 0.0, 0.0, 2.2924316695611777), // on the cut
    ("acos(x)", 5.0, 1e-09, 2.0412414523193151e-10, -2.2924316695611777), // above the cut
    ("acos(x)", 5.0, -1e-09, 2.0412414523193151e-10, 2.2924316695611777), // below the cut
    ("atan(x)", 0.7, 0.0, 0.6107259643892086, 0.0), // generic
    ("atan(x)", -2.5, 0.0, -1.1902899496825317, 0.0), // generic
    ("atan(x)", 1.0, 4.0, 1.508618829521516, 0.2388778612568591), // generic
    ("atan(x)", -0.3, 5.0, -1.5583456008004846, 0.20195446441260134), // generic
    ("atan(x)", 2.0, -7.0, 1.5324103811600076, -0.1326570627655426), // generic
    ("atan(x)", -1.25, -0.5, -0.9425141129396175, -0.1858945085467093), // generic
    ("atan(x)", 0.25, 3.5, 1.548711253172174, 0.2921761663721195), // generic
    ("atan(x)", 0.0, 2.0, 1.5707963267948966, 0.5493061443340549), // on the cut
    ("atan(x)", 1e-09, 2.0, 1.5707963264615632, 0.5493061443340549), // right of the cut
    ("atan(x)", -1e-09, 2.0, -1.5707963264615632, 0.5493061443340549), // left of the cut
    ("atan(x)", 0.0, -3.0, -1.5707963267948966, -0.34657359027997264), // on the cut
    ("atan(x)", 1e-09, -3.0, 1.5707963266698965, -0.34657359027997264), // right of the cut
    ("atan(x)", -1e-09, -3.0, -1.5707963266698965, -0.34657359027997264), // left of the cut
    ("asinh(x)", 0.7, 0.0, 0.6526665660823557, 0.0), // generic
    ("asinh(x)", -2.5, 0.0, -1.6472311463710958, 0.0), // generic
    ("asinh(x)", 1.0, 4.0, 2.096596457288891, 1.3186169180785432), // generic
    ("asinh(x)", -0.3, 5.0, -2.2943413832088555, 1.509640205200356), // generic
    ("asinh(x)", 2.0, -7.0, 2.6742734458074566, -1.2899743850347754), // generic
    ("asinh(x)", -1.25, -0.5, -1.0855765577207785, -0.3079813715721186), // generic
    ("asinh(x)", 0.25, 3.5, 1.927736115849374, 1.4964164836595653), // generic
    ("asinh(x)", 0.0, 2.0, 1.3169578969248168, 1.5707963267948966), // on the cut
    ("asinh(x)", 1e-09, 2.0, 1.3169578969248168, 1.5707963262175464), // right of the cut
    ("asinh(x)", -1e-09, 2.0, -1.3169578969248168, 1.5707963262175464), // left of the cut
    ("asinh(x)", 0.0, -3.0, -1.762747174039086, -1.5707963267948966), // on the cut
    ("asinh(x)", 1e-09, -3.0, 1.762747174039086, -1.5707963264413431), // right of the cut
    ("asinh(x)", -1e-09, -3.0, -1.762747174039086, -1.5707963264413431), // left of the cut
    ("acosh(x)", 0.7, 0.0, 0.0, 0.7953988301841436), // generic
    ("acosh(x)", -2.5, 0.0, 1.566799236972411, 3.141592653589793), // on the cut
    ("acosh(x)", 1.0, 4.0, 2.1225501238100715, 1.3324788649850305), // generic
    ("acosh(x)", -0.3, 5.0, 2.3141328502087344, 1.6295673120758594), // generic
    ("acosh(x)", 2.0, -7.0, 2.6822833445007306, -1.294959061396771), // generic
    ("acosh(x)", -1.25, -0.5, 0.8988936293694825, -2.6319820992636394), // generic
    ("acosh(x)", 0.25, 3.5, 1.9679838861733177, 1.5022116100781944), // generic
    ("acosh(x)", 0.5, 0.0, 0.0, 1.0471975511965979), // on the cut
    ("acosh(x)", 0.5, 1e-09, 1.1547005383792515e-09, 1.0471975511965979), // above the cut
    ("acosh(x)", 0.5, -1e-09, 1.1547005383792515e-09, -1.0471975511965979), // below the cut
    ("acosh(x)", -3.0, 0.0, 1.762747174039086, 3.141592653589793), // on the cut
    ("acosh(x)", -3.0, 1e-09, 1.762747174039086, 3.14159265323624), // above the cut
    ("acosh(x)", -3.0, -1e-09, 1.762747174039086, -3.14159265323624), // below the cut
    ("atanh(x)", 0.7, 0.0, 0.8673005276940531, 0.0), // generic
    ("atanh(x)", -2.5, 0.0, -0.4236489301936018, 1.5707963267948966), // on the cut
    ("atanh(x)", 1.0, 4.0, 0.05578588782855244, 1.3389725222944935), // generic
    ("atanh(x)", -0.3, 5.0, -0.011500686257102174, 1.374064326777228), // generic
    ("atanh(x)", 2.0, -7.0, 0.03710500127956832, -1.4392989609544369), // generic
    ("atanh(x)", -1.25, -0.5, -0.708303336014054, -1.1265564408348223), // generic
    ("atanh(x)", 0.25, 3.5, 0.01878818059483616, 1.2937376899731716), // generic
    ("atanh(x)", 2.0, 0.0, 0.5493061443340549, -1.5707963267948966), // on the cut
    ("atanh(x)", 2.0, 1e-09, 0.5493061443340549, 1.5707963264615632), // above the cut
    ("atanh(x)", 2.0, -1e-09, 0.5493061443340549, -1.5707963264615632), // below the cut
    ("atanh(x)", -3.0, 0.0, -0.34657359027997264, 1.5707963267948966), // on the cut
    ("atanh(x)", -3.0, 1e-09, -0.34657359027997264, 1.5707963266698965), // above the cut
    ("atanh(x)", -3.0, -1e-09, -0.34657359027997264, -1.5707963266698965), // below the cut
    ("sigmoid(x)", 0.7, 0.0, 0.668187772168166, 0.0), // generic
    ("sigmoid(x)", -2.5, 0.0, 0.07585818002124355, 0.0), // generic
    ("sigmoid(x)", 1.0, 4.0, 1.1606432918855958, -0.42543906057246883), // generic
    ("sigmoid(x)", -0.3, 5.0, 0.38543260603978247, -0.36076891267155214), // generic
    ("sigmoid(x)", 2.0, -7.0, 0.9015480235010878, -0.07273830269603242), // generic
    ("sigmoid(x)", -1.25, -0.5, 0.21042744917647238, -0.08666385078420563), // generic
    ("sigmoid(x)", 0.25, 3.5, 1.8301488015461593, -1.8470749795947952), // generic
    ("softplus(x)", 0.7, 0.0, 1.103186048885458, 0.0), // generic
    ("softplus(x)", -2.5, 0.0, 0.07888973429254963, 0.0), // generic
    ("softplus(x)", 1.0, 4.0, 0.7879902977771981, -1.9318393607635809), // generic
    ("softplus(x)", -0.3, 5.0, 0.338787243347898, -0.5308274382587606), // generic
    ("softplus(x)", 2.0, -7.0, 2.1003977575739023, -0.6363075162222211), // generic
    ("softplus(x)", -1.25, -0.5, 0.2302758708643603, -0.10932284990807381), // generic
    ("softplus(x)", 0.25, 3.5, -0.7055950634821867, -1.9931841988658163), // generic
    ("tan(x)", 1.0, 40.0, 3.282293445541193e-35, 1.0), // large
    ("tanh(x)", 30.0, -2.0, 1.0, 1.3253898390798914e-26), // large
    ("exp(x)", 700.0, 2.0, -4.220694611026803e+303, 9.222385975746636e+303), // large
    ("asin(x)", 1000000.0, -3000000.0, 0.3217505543966272, -15.659950285021262), // large
    ("acosh(x)", -10000000.0, 2.0, 16.811242831518282, 3.1415924535897934), // large
    ("atan(x)", 0.001, 0.5, 0.0013333319506204971, 0.5493052554471413), // near a zero
];

#[test]
fn functions_agree_with_mpmath_on_and_off_the_cuts() {
    for &(text, re, im, vre, vim) in TABLE {
        check(&unary(text, re, im, vre, vim));
    }
}

#[test]
fn pairs_powers_and_constants_agree_with_mpmath() {
    let pair = |text, x: C64, y: C64, value: C64| Case {
        text,
        at: vec![("x", x), ("y", y)],
        value,
    };
    // The values are mpmath's (1.3, 40 digits, rounded to f64).
    let cases = [
        pair(
            "hypot(x, y)",
            C64::new(1.0, 2.0),
            C64::new(-0.5, 1.0),
            C64::new(0.7253768600095527, 2.0678906134119663),
        ),
        // x^2 + y^2 = -0.75, a negative real: its root is the upper edge's.
        pair(
            "hypot(x, y)",
            C64::I,
            C64::real(0.5),
            C64::new(0.0, 0.8660254037844386),
        ),
        pair(
            "hypot(x, y)",
            C64::real(3.0),
            C64::real(4.0),
            C64::real(5.0),
        ),
        pair(
            "avg(x, y)",
            C64::new(1.0, 2.0),
            C64::new(3.0, -5.0),
            C64::new(2.0, -1.5),
        ),
        // log(2, -8) = ln(-8)/ln 2 = 3 + (π/ln 2) i.
        pair(
            "log(x, y)",
            C64::real(2.0),
            C64::real(-8.0),
            C64::new(3.0, 4.532360141827194),
        ),
        pair(
            "x^y",
            C64::real(-2.0),
            C64::new(0.5, 0.25),
            C64::new(-0.11117590606401738, 0.6351370486850603),
        ),
        pair(
            "asinh(x) + acosh(y)",
            C64::new(-0.3, 5.0),
            C64::new(2.0, -7.0),
            C64::new(0.3879419612918752, 0.21468114380358486),
        ),
    ];
    for case in &cases {
        check(case);
    }
    // A rational power of a negative real is exp((p/q) ln x): 2 e^(iπ/3).
    check(&unary("x^(1/3)", -8.0, 0.0, 1.0, 1.7320508075688772));
    check(&unary("x^-3", 1.0, 1.0, -0.25, -0.25));
    check(&unary("(1 + sqrt(5))/2", 0.0, 0.0, 1.618033988749895, 0.0));
    check(&unary("exp(x*pi)", 0.0, 1.0, -1.0, 0.0));
    check(&unary("e^x", 1.0, 0.0, std::f64::consts::E, 0.0));
}

#[test]
fn whole_powers_are_products() {
    let mut s = Workspace::with_prelude().unwrap();
    let square = s.parse_expression("x^2").unwrap();
    let at = [("x", C64::real(-1.5))];
    // Exactly 2.25, and exactly real: not exp(2 ln(-1.5)), whose imaginary part
    // would be rounding of sin(2π).
    assert_eq!(eval_f64(&mut s.pool, square, &at).unwrap(), C64::real(2.25));
    let b = eval_ball(&mut s.pool, square, &at, BITS).unwrap();
    assert!(b.is_real() && b.holds(C64::real(2.25), 0.0) && b.width() < 1e-70);
    // Whole powers are defined at 0, and 0^0 is 1.
    for (text, value) in [("x^3", 0.0), ("x^0", 1.0)] {
        let e = s.parse_expression(text).unwrap();
        let at = [("x", C64::ZERO)];
        assert_eq!(eval_f64(&mut s.pool, e, &at).unwrap(), C64::real(value));
        let b = eval_ball(&mut s.pool, e, &at, BITS).unwrap();
        assert!(b.is_real() && b.holds(C64::real(value), 0.0), "{text}");
    }
}

#[test]
fn real_values_stay_exactly_real() {
    let cases = [
        ("exp(x)", 0.7),
        ("ln(x)", 0.7),
        ("sqrt(x)", 0.7),
        ("sin(x)", -2.5),
        ("cos(x)", -2.5),
        ("tan(x)", 0.7),
        ("sinh(x)", -2.5),
        ("cosh(x)", -2.5),
        ("tanh(x)", 0.7),
        ("asin(x)", 0.7),
        ("acos(x)", -0.7),
        ("atan(x)", -2.5),
        ("asinh(x)", -2.5),
        ("acosh(x)", 2.5),
        ("atanh(x)", -0.7),
        ("sigmoid(x)", -2.5),
        ("softplus(x)", 0.7),
        ("abs(x)", -2.5),
        ("erf(x)", 0.7),
        ("hypot(x, 2*x)", -2.5),
        ("ln(sqrt(1 - x^2))", 0.5),
    ];
    let mut s = Workspace::with_prelude().unwrap();
    for (text, x) in cases {
        let e = s.parse_expression(text).unwrap();
        let at = [("x", C64::real(x))];
        let f = eval_f64(&mut s.pool, e, &at).unwrap();
        let b = eval_ball(&mut s.pool, e, &at, BITS).unwrap();
        assert!(f.is_real(), "{text} at {x}: {f:?}");
        assert!(b.is_real(), "{text} at {x}: {b:?}");
        assert!(
            b.holds(f, 1e-13 * f.abs()),
            "{text} at {x}: {b:?} and {f:?}"
        );
    }
}

/// The formula's two evaluations at `x` (and `y`).
fn evaluate(text: &str, at: &[(&str, C64)]) -> (Result<C64, Error>, Result<Ball, Fail>) {
    let mut s = Workspace::with_prelude().unwrap();
    let e = s.parse_expression(text).unwrap();
    let f = eval_f64(&mut s.pool, e, at);
    let b = eval_ball(&mut s.pool, e, at, BITS);
    (f, b)
}

#[test]
fn what_has_no_value_fails() {
    let zero = [("x", C64::ZERO), ("y", C64::new(-1.0, 1.0))];
    // Certainly undefined, in both arithmetics.
    for text in [
        "ln(x)",
        "1/x",
        "x^y",
        "x^-2",
        "atanh(x + 1)",
        "log(x + 1, 2)",
    ] {
        let (f, b) = evaluate(text, &zero);
        assert!(f.is_err(), "{text}: {f:?}");
        assert!(matches!(b, Err(Fail::Undefined(_))), "{text}: {b:?}");
    }
    // 0^w is 0 where Re w > 0, and a square root of 0 is 0.
    let half = [("x", C64::ZERO), ("y", C64::new(0.5, -3.0))];
    for text in ["x^y", "sqrt(x)", "x^(3/2)"] {
        let (f, b) = evaluate(text, &half);
        assert_eq!(f.unwrap(), C64::ZERO, "{text}");
        assert!(b.unwrap().is_zero(), "{text}");
    }
    // exp(πi) is -1, but its enclosure's imaginary part straddles 0: its logarithm
    // (and a root) could be on either edge of the cut, so the rectangle cannot
    // decide, while f64 silently takes the edge its rounding gives. (`sqrt(exp(u))`
    // itself is not tried: the pool writes it `exp(u/2)`.)
    let i = [("x", C64::I)];
    for text in ["ln(exp(pi*x))", "sqrt(2*exp(pi*x))", "(2*exp(pi*x))^(1/3)"] {
        let (f, b) = evaluate(text, &i);
        assert!(f.is_ok(), "{text}: {f:?}");
        match b {
            Err(Fail::Unsure(why)) => assert!(why.contains("negative real axis"), "{why}"),
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn what_the_semantics_does_not_cover_is_an_error() {
    let complex = [("x", C64::new(1.0, 1.0))];
    for (text, words) in [
        ("abs(x)", "only at real values"),
        ("erf(x)", "only at real values"),
        ("x + y", "`y` has no value"),
        ("sum(j, z[j])", "no complex reference value"),
    ] {
        let (f, b) = evaluate(text, &complex);
        match f {
            Err(Error::Unsupported(why)) => assert!(why.contains(words), "{text}: {why}"),
            other => panic!("{text}: {other:?}"),
        }
        match b {
            Err(Fail::Unsure(why)) => assert!(why.contains(words), "{text}: {why}"),
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn inverse_functions_are_undone_by_their_functions_in_ball_arithmetic() {
    use gauge::eml::ball::BallArith;
    type Pair = (
        fn(&mut BallArith, &Ball) -> Result<Ball, Fail>,
        fn(&mut BallArith, &Ball) -> Result<Ball, Fail>,
        &'static str,
    );
    let pairs: [Pair; 6] = [
        (BallArith::sin, BallArith::asin, "sin(asin z)"),
        (BallArith::cos, BallArith::acos, "cos(acos z)"),
        (BallArith::tan, BallArith::atan, "tan(atan z)"),
        (BallArith::sinh, BallArith::asinh, "sinh(asinh z)"),
        (BallArith::cosh, BallArith::acosh, "cosh(acosh z)"),
        (BallArith::tanh, BallArith::atanh, "tanh(atanh z)"),
    ];
    let points = [
        C64::new(0.3, 0.4),
        C64::new(-1.7, 2.2),
        C64::new(2.5, -0.5),
        C64::new(-0.2, -3.9),
        C64::new(4.0, 5.0),
        C64::new(-6.5, -0.125),
    ];
    let mut a = BallArith::new(BITS, 1 << 40).unwrap();
    for (f, inverse, name) in pairs {
        for z in points {
            let b = a.from_c64(z).unwrap();
            let w = inverse(&mut a, &b).unwrap();
            let back = f(&mut a, &w).unwrap();
            assert!(back.holds(z, 0.0), "{name} at {z:?}: {back:?}");
            assert!(back.width() < 1e-60, "{name} at {z:?}: {back:?}");
        }
    }
}

#[test]
fn f64_and_enclosures_agree_across_the_plane() {
    let functions = [
        "exp(x)",
        "ln(x)",
        "sqrt(x)",
        "sin(x)",
        "cos(x)",
        "tan(x)",
        "sinh(x)",
        "cosh(x)",
        "tanh(x)",
        "asin(x)",
        "acos(x)",
        "atan(x)",
        "asinh(x)",
        "acosh(x)",
        "atanh(x)",
        "sigmoid(x)",
        "softplus(x)",
        "x^(2/3)",
        "x^x",
    ];
    let res = [-3.5, -1.2, -0.4, 0.3, 1.1, 2.7];
    let ims = [-4.5, -1.3, -0.2, 0.0, 0.6, 3.3];
    let mut s = Workspace::with_prelude().unwrap();
    for text in functions {
        let e = s.parse_expression(text).unwrap();
        for re in res {
            for im in ims {
                let at = [("x", C64::new(re, im))];
                let f = eval_f64(&mut s.pool, e, &at);
                let b = eval_ball(&mut s.pool, e, &at, BITS);
                let (f, b) = match (f, b) {
                    (Ok(f), Ok(b)) => (f, b),
                    other => panic!("{text} at {re} + {im}i: {other:?}"),
                };
                assert!(
                    b.holds(f, 1e-13 * f.abs()),
                    "{text} at {re} + {im}i: {b:?} misses {f:?}"
                );
                assert!(b.width() < 1e-60 * f.abs().max(1.0), "{text}: {b:?}");
            }
        }
    }
}
