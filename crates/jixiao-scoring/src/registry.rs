//! Several frameworks at once (TABLES.md §4): the shipped ones, every `*.toml` of a directory
//! and an optional single file, each validated at load, with a default per subject kind.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::framework::Framework;

/// The frameworks shipped with the product: file name and text.
pub const SHIPPED: [(&str, &str); 3] = [
    ("central-2020.toml", crate::framework::CENTRAL_2020),
    (
        "hubei-2020.toml",
        include_str!("../frameworks/hubei-2020.toml"),
    ),
    (
        "hunan-department-2020.toml",
        include_str!("../frameworks/hunan-department-2020.toml"),
    ),
];

/// Which framework scores a subject whose target set names none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DefaultFrameworks {
    /// For a department scored department-wide (部门整体); empty: the single framework file's,
    /// else `central-2020`.
    pub department: String,
    /// For a project (项目支出); empty: the single framework file's, else `central-2020`.
    pub project: String,
}

/// Where frameworks are read from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrameworkSources {
    /// Every `*.toml` file of this directory is a framework.
    pub directory: Option<PathBuf>,
    /// One more framework file; it may replace a shipped framework of the same name (a
    /// changed `central-2020`), and it is the default for both subject kinds unless
    /// `defaults` says otherwise.
    pub file: Option<PathBuf>,
    /// The defaults per subject kind.
    pub defaults: DefaultFrameworks,
}

/// One loaded framework with its TOML text and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The framework.
    pub framework: Framework,
    /// Its TOML text.
    pub source: String,
    /// `shipped` or the file's path.
    pub origin: String,
}

/// The frameworks in force, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frameworks {
    by_name: BTreeMap<String, Loaded>,
    department: String,
    project: String,
}

impl Default for Frameworks {
    fn default() -> Self {
        Self::shipped()
    }
}

impl Frameworks {
    /// The shipped frameworks, `central-2020` the default for both subject kinds.
    pub fn shipped() -> Self {
        Self::load(&FrameworkSources::default()).expect("the shipped frameworks are valid")
    }

    /// Loads the shipped frameworks, then the directory's and the file's.
    ///
    /// # Errors
    /// Every problem found, one per line, each naming the file (and, from the framework's own
    /// validation, the key): an unreadable directory or file, a file that is not a valid
    /// framework, two files of one name, a directory file reusing a shipped name, a default
    /// naming no loaded framework.
    pub fn load(sources: &FrameworkSources) -> Result<Self, String> {
        let mut problems = Vec::new();
        let mut by_name = BTreeMap::new();
        for (file, text) in SHIPPED {
            let framework = Framework::from_toml(text)
                .map_err(|error| format!("shipped framework {file}: {error}"))?;
            by_name.insert(
                framework.name.clone(),
                Loaded {
                    framework,
                    source: text.to_owned(),
                    origin: "shipped".to_owned(),
                },
            );
        }
        if let Some(directory) = &sources.directory {
            match std::fs::read_dir(directory) {
                Err(error) => problems.push(format!(
                    "cannot read the frameworks directory {}: {error}",
                    directory.display()
                )),
                Ok(entries) => {
                    let mut paths: Vec<PathBuf> = entries
                        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
                        .collect();
                    paths.sort();
                    for path in paths {
                        match read(&path) {
                            Err(problem) => problems.push(problem),
                            Ok(loaded) => match by_name.get(&loaded.framework.name) {
                                Some(existing) => problems.push(format!(
                                    "{}: the name {:?} is already taken by {}",
                                    path.display(),
                                    loaded.framework.name,
                                    existing.origin
                                )),
                                None => {
                                    by_name.insert(loaded.framework.name.clone(), loaded);
                                }
                            },
                        }
                    }
                }
            }
        }
        let mut file_name = None;
        if let Some(path) = &sources.file {
            match read(path) {
                Err(problem) => problems.push(problem),
                Ok(loaded) => {
                    let name = loaded.framework.name.clone();
                    if let Some(existing) = by_name.get(&name)
                        && existing.origin != "shipped"
                    {
                        problems.push(format!(
                            "{}: the name {name:?} is already taken by {}",
                            path.display(),
                            existing.origin
                        ));
                    }
                    by_name.insert(name.clone(), loaded);
                    file_name = Some(name);
                }
            }
        }
        let fallback = file_name.unwrap_or_else(|| "central-2020".to_owned());
        let department = non_empty(&sources.defaults.department).unwrap_or(fallback.clone());
        let project = non_empty(&sources.defaults.project).unwrap_or(fallback);
        for (key, name) in [
            ("default_frameworks.department", &department),
            ("default_frameworks.project", &project),
        ] {
            if !by_name.contains_key(name) {
                problems.push(format!(
                    "{key}: no framework is named {name:?} (loaded: {})",
                    by_name.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
        if problems.is_empty() {
            Ok(Self {
                by_name,
                department,
                project,
            })
        } else {
            Err(problems.join("\n"))
        }
    }

    /// A framework by name.
    pub fn get(&self, name: &str) -> Option<&Loaded> {
        self.by_name.get(name)
    }

    /// Every framework, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Loaded> {
        self.by_name.values()
    }

    /// The names of the frameworks, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.by_name.keys().map(String::as_str).collect()
    }

    /// The default framework of departments (部门整体).
    pub fn default_department(&self) -> &Loaded {
        &self.by_name[&self.department]
    }

    /// The default framework of projects (项目支出).
    pub fn default_project(&self) -> &Loaded {
        &self.by_name[&self.project]
    }

    /// The framework a subject is scored under: the one its target set names, else the default
    /// of its kind.
    ///
    /// # Errors
    /// When the target set names a framework that is not loaded, naming the ones that are.
    pub fn for_subject(&self, named: &str, project: bool) -> Result<&Framework, String> {
        if named.is_empty() {
            let loaded = if project {
                self.default_project()
            } else {
                self.default_department()
            };
            return Ok(&loaded.framework);
        }
        self.get(named)
            .map(|loaded| &loaded.framework)
            .ok_or_else(|| {
                format!(
                    "the target set names the framework {named:?}, which is not loaded (loaded: {})",
                    self.names().join(", ")
                )
            })
    }
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Largest framework file, in bytes: a framework is a few KiB of rules, and GetFramework sends
/// its text, which must stay far below the 4 MiB a client accepts by default.
pub const MAX_FRAMEWORK_BYTES: u64 = 256 * 1024;

fn read(path: &Path) -> Result<Loaded, String> {
    let size = std::fs::metadata(path)
        .map_err(|error| format!("cannot read the framework file {}: {error}", path.display()))?
        .len();
    if size > MAX_FRAMEWORK_BYTES {
        return Err(format!(
            "the framework file {} is {size} bytes; a framework is at most {MAX_FRAMEWORK_BYTES} bytes",
            path.display()
        ));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read the framework file {}: {error}", path.display()))?;
    let framework =
        Framework::from_toml(&text).map_err(|error| format!("{}: {error}", path.display()))?;
    Ok(Loaded {
        framework,
        source: text,
        origin: path.display().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_frameworks_load_with_central_2020_as_the_default() {
        let frameworks = Frameworks::shipped();
        assert_eq!(
            frameworks.names(),
            ["central-2020", "hubei-2020", "hunan-department-2020"]
        );
        assert_eq!(
            frameworks.default_department().framework.name,
            "central-2020"
        );
        assert_eq!(frameworks.default_project().framework.name, "central-2020");
        let hubei = frameworks.for_subject("hubei-2020", true).unwrap();
        assert_eq!(hubei.budget.weight, rust_decimal::Decimal::from(20));
        let error = frameworks.for_subject("sichuan", false).unwrap_err();
        assert!(
            error.contains("\"sichuan\"") && error.contains("hubei-2020"),
            "{error}"
        );
    }

    #[test]
    fn a_directory_adds_frameworks_and_each_bad_file_is_named_with_its_key() {
        let directory = tempfile::tempdir().unwrap();
        let good = crate::framework::CENTRAL_2020
            .replace("name = \"central-2020\"", "name = \"anhui-2022\"");
        std::fs::write(directory.path().join("anhui.toml"), &good).unwrap();
        std::fs::write(directory.path().join("notes.txt"), "not a framework").unwrap();
        let sources = FrameworkSources {
            directory: Some(directory.path().to_owned()),
            file: None,
            defaults: DefaultFrameworks {
                department: String::new(),
                project: "anhui-2022".to_owned(),
            },
        };
        let frameworks = Frameworks::load(&sources).unwrap();
        assert_eq!(frameworks.default_project().framework.name, "anhui-2022");
        // A file too large for GetFramework to send is refused at load, with its size.
        let large = directory.path().join("large.toml");
        std::fs::write(&large, format!("{good}\n# {}\n", "x".repeat(300 * 1024))).unwrap();
        let error = Frameworks::load(&sources).unwrap_err();
        assert!(
            error.contains("a framework is at most 262144 bytes"),
            "{error}"
        );
        std::fs::remove_file(&large).unwrap();
        assert!(
            frameworks
                .get("anhui-2022")
                .unwrap()
                .origin
                .ends_with("anhui.toml")
        );

        std::fs::write(
            directory.path().join("broken.toml"),
            good.replace("name = \"anhui-2022\"", "name = \"broken\"")
                .replace(
                    "weight = \"10\"\n\n# Level-1",
                    "weight = \"15\"\n\n# Level-1",
                ),
        )
        .unwrap();
        std::fs::write(directory.path().join("again.toml"), &good).unwrap();
        std::fs::write(
            directory.path().join("central.toml"),
            crate::framework::CENTRAL_2020,
        )
        .unwrap();
        let error = Frameworks::load(&sources).unwrap_err();
        assert!(error.contains("broken.toml: the framework is invalid: budget.weight and the group weights sum to 105"), "{error}");
        assert!(
            error.contains("anhui.toml: the name \"anhui-2022\" is already taken by"),
            "{error}"
        );
        assert!(
            error.contains("central.toml: the name \"central-2020\" is already taken by shipped"),
            "{error}"
        );
        let missing = FrameworkSources {
            directory: Some(directory.path().join("nowhere")),
            file: None,
            defaults: DefaultFrameworks {
                department: "nothing".to_owned(),
                project: String::new(),
            },
        };
        let department_only = FrameworkSources {
            directory: Some(directory.path().to_owned()),
            file: None,
            defaults: DefaultFrameworks {
                department: "anhui-2022".to_owned(),
                project: String::new(),
            },
        };
        std::fs::remove_file(directory.path().join("broken.toml")).unwrap();
        std::fs::remove_file(directory.path().join("again.toml")).unwrap();
        std::fs::remove_file(directory.path().join("central.toml")).unwrap();
        let frameworks = Frameworks::load(&department_only).unwrap();
        assert_eq!(frameworks.default_department().framework.name, "anhui-2022");
        assert_eq!(frameworks.default_project().framework.name, "central-2020");
        let error = Frameworks::load(&missing).unwrap_err();
        assert!(
            error.contains("cannot read the frameworks directory"),
            "{error}"
        );
        assert!(
            error.contains("default_frameworks.department: no framework is named \"nothing\""),
            "{error}"
        );
    }

    #[test]
    fn a_single_file_may_replace_a_shipped_framework_and_becomes_the_default() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("central.toml");
        std::fs::write(
            &path,
            crate::framework::CENTRAL_2020.replace("version = \"2\"", "version = \"3\""),
        )
        .unwrap();
        let frameworks = Frameworks::load(&FrameworkSources {
            directory: None,
            file: Some(path),
            defaults: DefaultFrameworks::default(),
        })
        .unwrap();
        assert_eq!(frameworks.default_department().framework.version, "3");
    }
}
