//! A foreign mission in Norway: its name, its country and what kind of office it is.

use super::FieldError;
use super::text::check_text;

crate::codes! {
    pub enum MissionKind {
        Embassy = "embassy", "Embassy";
        Consulate = "consulate", "Consulate";
        InternationalOrganisation = "international_organisation", "International organisation office";
    }
    else |s| format!("must be one of embassy, consulate, international_organisation (got {s:?})")
}

/// The name a mission is known by, e.g. "Embassy of Iceland".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissionName(String);

impl MissionName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        check_text("name", value, 3, 200, false)?;
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryCode(String);

impl CountryCode {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim().to_ascii_uppercase();
        if value.len() == 2 && ISO_3166_ALPHA2.split(' ').any(|c| c == value) {
            Ok(Self(value))
        } else {
            Err(FieldError::new(
                "country",
                format!(
                    "must be an ISO 3166-1 alpha-2 country code such as IS or BR (got {raw:?})"
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The officially assigned ISO 3166-1 alpha-2 codes.
const ISO_3166_ALPHA2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_checked_against_iso_3166() {
        assert_eq!(ISO_3166_ALPHA2.split(' ').count(), 249);
        assert_eq!(CountryCode::parse(" is ").unwrap().as_str(), "IS");
        for bad in ["", "X", "XX", "ISL", "1S", "ÆØ"] {
            assert_eq!(CountryCode::parse(bad).unwrap_err().field, "country");
        }
    }

    #[test]
    fn kinds_round_trip() {
        for k in MissionKind::ALL {
            assert_eq!(k.code().parse::<MissionKind>(), Ok(k));
        }
        assert!("embassy ".parse::<MissionKind>().is_err());
    }

    #[test]
    fn names_are_bounded_single_lines() {
        assert!(MissionName::parse("Embassy of Iceland").is_ok());
        assert!(MissionName::parse("ab").is_err());
        assert!(MissionName::parse("Embassy\nof Iceland").is_err());
        assert!(MissionName::parse(&"x".repeat(201)).is_err());
    }
}
