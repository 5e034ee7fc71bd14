//! Great-circle distances between sign-in coordinates.

/// Mean Earth radius (IUGG), in kilometres.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle distance in kilometres between two `(latitude, longitude)` points in degrees
/// (haversine formula; accurate to about 0.5 % against the ellipsoid, ample for travel speed).
///
/// ```
/// // Paris to New York is about 5,837 km.
/// let d = oort_checks::geo::distance_km((48.8566, 2.3522), (40.7128, -74.0060));
/// assert!((d - 5837.0).abs() < 10.0);
/// ```
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let dlat = lat2 - lat1;
    let dlon = lon2 - lon1;
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// Whether coordinates are usable: finite and within range.
pub fn valid(point: (f64, f64)) -> bool {
    point.0.is_finite()
        && point.1.is_finite()
        && (-90.0..=90.0).contains(&point.0)
        && (-180.0..=180.0).contains(&point.1)
}
