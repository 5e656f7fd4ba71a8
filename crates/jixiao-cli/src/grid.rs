//! From a file to grids: the cells of each sheet (`.xlsx`, `.xls`, `.ods` through calamine,
//! `.csv` through csv) or of each table of a Word document (`.docx` through docx-rs) as text,
//! row by row. Every size is bounded before it is paid for: the file's bytes, and the rows and
//! columns a grid may hold.

use std::path::Path;

use crate::table::{Cell, CellRef};

/// Largest file `jixiao import` reads, in bytes: a 自评表 is a few hundred KiB.
pub const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;
/// Most rows and columns of one grid: a 自评表 has tens of rows and about a dozen columns.
pub const MAX_ROWS: usize = 10_000;
/// Most columns of one grid.
pub const MAX_COLUMNS: usize = 200;
/// Most cells with a value in one sheet.
pub const MAX_CELLS: usize = 200_000;
/// Most sheets of one workbook.
pub const MAX_SHEETS: usize = 100;
/// Largest expanded size of one part of a zip-packaged file (a sheet's XML, its shared strings),
/// and of all its parts together, in bytes: a 自评表's parts are a few MiB at most.
pub const MAX_PART_BYTES: u64 = 64 * 1024 * 1024;
/// Largest expanded size of all parts of a zip-packaged file, in bytes.
pub const MAX_PACKAGE_BYTES: u64 = 256 * 1024 * 1024;
/// Most parts of a zip-packaged file.
pub const MAX_PARTS: usize = 10_000;

/// A sheet's cells as text, row by row, with where its first cell is.
#[derive(Debug, Clone)]
pub struct Grid {
    /// The sheet's name.
    pub sheet: String,
    /// Row and column of the first cell.
    pub origin: (usize, usize),
    /// Cell texts.
    pub rows: Vec<Vec<String>>,
}

impl Grid {
    pub(crate) fn cell(&self, row: usize, column: usize) -> Cell {
        Cell {
            text: self
                .rows
                .get(row)
                .and_then(|cells| cells.get(column))
                .map(|text| text.trim().to_owned())
                .unwrap_or_default(),
            at: CellRef {
                sheet: self.sheet.clone(),
                row: self.origin.0 + row,
                column: self.origin.1 + column,
            },
        }
    }

    pub(crate) fn text(&self, row: usize, column: usize) -> &str {
        self.rows
            .get(row)
            .and_then(|cells| cells.get(column))
            .map_or("", |text| text.trim())
    }

    pub(crate) fn width(&self, row: usize) -> usize {
        self.rows.get(row).map_or(0, Vec::len)
    }
}

/// A float as a spreadsheet shows it: 15 significant digits, so that a sum's noise
/// (142.26999999999998) goes while 142.27 and 10 stay as written.
fn shown(value: f64) -> String {
    format!("{value:.14e}")
        .parse::<f64>()
        .map_or_else(|_| value.to_string(), |rounded| rounded.to_string())
}

/// Reads every sheet of a workbook, a CSV file as one sheet named after the file, or every
/// table of a Word document.
///
/// # Errors
/// When the file cannot be opened or is not a spreadsheet of a known kind.
pub fn read_grids(path: &Path) -> anyhow::Result<Vec<Grid>> {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let size = std::fs::metadata(path)
        .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?
        .len();
    if size > MAX_FILE_BYTES {
        anyhow::bail!(
            "{}: {size} bytes; jixiao import reads files of at most {MAX_FILE_BYTES} bytes (a 自评表 is a few hundred KiB)",
            path.display()
        );
    }
    if extension == "docx" {
        let bytes =
            std::fs::read(path).map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
        return read_docx(path, &bytes);
    }
    if extension == "csv" {
        let bytes =
            std::fs::read(path).map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
        // Spreadsheets in China save CSV as GB18030 (GBK) as often as UTF-8.
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => {
                let (text, _, malformed) = encoding_rs::GB18030.decode(error.as_bytes());
                if malformed {
                    anyhow::bail!(
                        "{}: the file is neither UTF-8 nor GB18030 text; save it as CSV (UTF-8)",
                        path.display()
                    );
                }
                text.into_owned()
            }
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
            rows.push(record.iter().map(str::to_owned).collect());
        }
        let sheet = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or("csv")
            .to_owned();
        return Ok(vec![Grid {
            sheet,
            origin: (0, 0),
            rows,
        }]);
    }
    use calamine::{Data, Reader};
    if matches!(extension.as_str(), "xlsx" | "xlsm" | "xlsb" | "ods") {
        check_package(path)?;
    }
    let mut workbook = calamine::open_workbook_auto(path)
        .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
    let mut grids = Vec::new();
    let sheets = workbook.sheet_names();
    if sheets.len() > MAX_SHEETS {
        anyhow::bail!(
            "{}: {} sheets; jixiao import reads at most {MAX_SHEETS}",
            path.display(),
            sheets.len()
        );
    }
    for sheet in sheets {
        let (range, formats_bounded) = match &mut workbook {
            // A workbook's cells are streamed and bounded before a grid is made: a single cell
            // far down and to the right must not make a dense rectangle of the used range.
            calamine::Sheets::Xlsx(xlsx) => xlsx_range(xlsx, &sheet, path)?,
            other => {
                let range = other.worksheet_range(&sheet).map_err(|error| {
                    anyhow::anyhow!("{}: sheet {sheet}: {error}", path.display())
                })?;
                check_size(range.get_size(), &sheet, path)?;
                (range, false)
            }
        };
        // Merged regions and number formats, where the reader gives them (xlsx).
        let (merges, styles) = match &mut workbook {
            calamine::Sheets::Xlsx(xlsx) => (
                xlsx.merge_cells_by_sheet_name(&sheet).unwrap_or_default(),
                formats_bounded
                    .then(|| xlsx.worksheet_style(&sheet).ok())
                    .flatten(),
            ),
            _ => (Vec::new(), None),
        };
        let origin = range
            .start()
            .map_or((0, 0), |(row, column)| (row as usize, column as usize));
        let percent = |row: usize, column: usize| {
            styles
                .as_ref()
                .and_then(|styles| {
                    styles.get(((origin.0 + row) as u32, (origin.1 + column) as u32))
                })
                .and_then(|style| style.number_format.as_ref())
                .is_some_and(|format| format.format_code.contains('%'))
        };
        let mut rows: Vec<Vec<String>> = range
            .rows()
            .enumerate()
            .map(|(row, cells)| {
                cells
                    .iter()
                    .enumerate()
                    .map(|(column, cell)| match cell {
                        Data::Empty => String::new(),
                        Data::String(text) => text.clone(),
                        Data::Int(value) => value.to_string(),
                        // A cell formatted as a percentage holds 0.862 for 86.2%.
                        Data::Float(value) if percent(row, column) => {
                            format!("{}%", shown(value * 100.0))
                        }
                        Data::Float(value) => shown(*value),
                        Data::Bool(value) => value.to_string(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect();
        // A merged region's text is in its first cell: every cell of it reads that text (a
        // 年度指标值 merged over two header rows). Figures are not copied: a weight merged over
        // two rows must not count twice.
        for region in merges {
            let (top, left) = (region.start.0 as usize, region.start.1 as usize);
            let Some(value) = top
                .checked_sub(origin.0)
                .zip(left.checked_sub(origin.1))
                .and_then(|(row, column)| rows.get(row)?.get(column).cloned())
            else {
                continue;
            };
            if value.is_empty() || value.parse::<f64>().is_ok() {
                continue;
            }
            for row in top..=region.end.0 as usize {
                for column in left..=region.end.1 as usize {
                    if let Some(cell) = row
                        .checked_sub(origin.0)
                        .zip(column.checked_sub(origin.1))
                        .and_then(|(row, column)| rows.get_mut(row)?.get_mut(column))
                        && cell.is_empty()
                    {
                        cell.clone_from(&value);
                    }
                }
            }
        }
        grids.push(Grid {
            sheet,
            origin,
            rows,
        });
    }
    Ok(grids)
}

/// Refuses a zip package (xlsx, ods, docx) whose parts expand beyond what any 自评表 needs, from
/// its directory, before a part is read: a zip bomb is refused without being expanded.
fn check_package(path: &Path) -> anyhow::Result<()> {
    let file = std::fs::File::open(path)
        .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|error| {
        anyhow::anyhow!(
            "{}: not a workbook or document (zip): {error}",
            path.display()
        )
    })?;
    if archive.len() > MAX_PARTS {
        anyhow::bail!(
            "{}: {} parts; at most {MAX_PARTS}",
            path.display(),
            archive.len()
        );
    }
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let part = archive
            .by_index_raw(index)
            .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))?;
        if part.size() > MAX_PART_BYTES {
            anyhow::bail!(
                "{}: the part {} expands to {} bytes; jixiao import reads parts of at most {MAX_PART_BYTES} bytes",
                path.display(),
                part.name().unwrap_or_default(),
                part.size()
            );
        }
        total = total.saturating_add(part.size());
    }
    if total > MAX_PACKAGE_BYTES {
        anyhow::bail!(
            "{}: the file expands to {total} bytes; jixiao import reads files of at most {MAX_PACKAGE_BYTES} bytes expanded",
            path.display()
        );
    }
    Ok(())
}

/// Refuses a sheet whose used range is larger than a grid may be.
fn check_size((rows, columns): (usize, usize), sheet: &str, path: &Path) -> anyhow::Result<()> {
    if rows > MAX_ROWS || columns > MAX_COLUMNS {
        anyhow::bail!(
            "{}: sheet {sheet} spans {rows} rows and {columns} columns; jixiao import reads at most {MAX_ROWS} rows and {MAX_COLUMNS} columns",
            path.display()
        );
    }
    Ok(())
}

/// A workbook sheet's cells streamed one by one, each position and the count bounded as it is
/// read, then laid out in a range over the cells that hold values; with whether the sheet's
/// formatted cells lie within the bounds too.
fn xlsx_range(
    xlsx: &mut calamine::Xlsx<std::io::BufReader<std::fs::File>>,
    sheet: &str,
    path: &Path,
) -> anyhow::Result<(calamine::Range<calamine::Data>, bool)> {
    let failed =
        |error: calamine::XlsxError| anyhow::anyhow!("{}: sheet {sheet}: {error}", path.display());
    let mut reader = xlsx.worksheet_cells_reader(sheet).map_err(failed)?;
    let mut cells = Vec::new();
    let mut formats_bounded = true;
    while let Some(cell) = reader.next_cell().map_err(failed)? {
        let (row, column) = cell.get_position();
        // A formatted cell without a value is nothing of the table, wherever it is; one far
        // away only keeps the sheet's formats from being read (they span every formatted cell).
        if cell.get_value() == &calamine::DataRef::Empty {
            formats_bounded &= (row as usize) < MAX_ROWS && (column as usize) < MAX_COLUMNS;
            continue;
        }
        if row as usize >= MAX_ROWS || column as usize >= MAX_COLUMNS {
            anyhow::bail!(
                "{}: sheet {sheet} has a cell at row {} column {}; jixiao import reads at most {MAX_ROWS} rows and {MAX_COLUMNS} columns",
                path.display(),
                row + 1,
                column + 1
            );
        }
        if cells.len() == MAX_CELLS {
            anyhow::bail!(
                "{}: sheet {sheet} has over {MAX_CELLS} cells with values; jixiao import reads at most {MAX_CELLS}",
                path.display()
            );
        }
        cells.push(calamine::Cell::new(
            (row, column),
            calamine::Data::from(cell.get_value().clone()),
        ));
    }
    Ok((calamine::Range::from_sparse(cells), formats_bounded))
}

/// Reads the tables of a Word document, each a grid named `表N`, with the paragraphs just
/// above it (its title, 项目名称 …, up to three) as rows of one cell on top. A cell spanning
/// columns (gridSpan) or continuing the cell above (vMerge) reads that cell's text when the
/// text is not a figure, as a merged region of a sheet does.
fn read_docx(path: &Path, bytes: &[u8]) -> anyhow::Result<Vec<Grid>> {
    check_package(path)?;
    use docx_rs::{DocumentChild, TableCellContent, TableChild, TableRowChild};
    let document = docx_rs::read_docx(bytes).map_err(|error| {
        anyhow::anyhow!("{}: not a Word document (.docx): {error}", path.display())
    })?;
    let mut grids = Vec::new();
    let mut above: Vec<String> = Vec::new();
    for child in &document.document.children {
        match child {
            DocumentChild::Paragraph(paragraph) => {
                let text = paragraph.raw_text();
                if !text.trim().is_empty() {
                    above.push(text);
                }
            }
            DocumentChild::Table(table) => {
                let mut rows: Vec<Vec<String>> = above
                    .iter()
                    .skip(above.len().saturating_sub(3))
                    .map(|text| vec![text.clone()])
                    .collect();
                above.clear();
                let heading = rows.len();
                for TableChild::TableRow(row) in &table.rows {
                    let mut cells = Vec::new();
                    for TableRowChild::TableCell(cell) in &row.cells {
                        let text: String = cell
                            .children
                            .iter()
                            .filter_map(|content| match content {
                                TableCellContent::Paragraph(paragraph) => {
                                    Some(paragraph.raw_text())
                                }
                                _ => None,
                            })
                            .collect();
                        // The spans are in the property's serialized form (the crate keeps
                        // the fields private).
                        let property = serde_json::to_value(&cell.property).unwrap_or_default();
                        let span = property["gridSpan"].as_u64().unwrap_or(1).clamp(1, 64);
                        let continues = property["verticalMerge"] == "continue";
                        let column = cells.len();
                        let text = if continues && text.is_empty() {
                            rows.last()
                                .filter(|_| rows.len() > heading)
                                .and_then(|previous| previous.get(column))
                                .filter(|above: &&String| above.parse::<f64>().is_err())
                                .cloned()
                                .unwrap_or_default()
                        } else {
                            text
                        };
                        for index in 0..span {
                            let figure = text.trim().parse::<f64>().is_ok();
                            cells.push(if index == 0 || !figure {
                                text.clone()
                            } else {
                                String::new()
                            });
                        }
                        if cells.len() > MAX_COLUMNS {
                            anyhow::bail!(
                                "{}: table {} has a row over {MAX_COLUMNS} columns; a 自评表 has about a dozen",
                                path.display(),
                                grids.len() + 1
                            );
                        }
                    }
                    rows.push(cells);
                    if rows.len() > MAX_ROWS {
                        anyhow::bail!(
                            "{}: table {} has over {MAX_ROWS} rows",
                            path.display(),
                            grids.len() + 1
                        );
                    }
                }
                grids.push(Grid {
                    sheet: format!("表{}", grids.len() + 1),
                    origin: (0, 0),
                    rows,
                });
            }
            _ => {}
        }
    }
    Ok(grids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_limit_or_not_of_its_kind_is_refused_before_it_is_read() {
        let directory = tempfile::tempdir().unwrap();
        let large = directory.path().join("large.xlsx");
        // A sparse file: its size is known without writing its bytes.
        std::fs::File::create(&large)
            .unwrap()
            .set_len(MAX_FILE_BYTES + 1)
            .unwrap();
        let error = read_grids(&large).unwrap_err().to_string();
        assert!(error.contains("at most 20971520 bytes"), "{error}");
        // One cell far down and to the right of an otherwise small sheet.
        let corner = directory.path().join("corner.xlsx");
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write_string(0, 0, "自评表").unwrap();
        sheet.write_string(1_000_000, 16_000, "x").unwrap();
        workbook.save(&corner).unwrap();
        // A formatted cell without a value far away is nothing of the table.
        let formatted = directory.path().join("formatted.xlsx");
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write_string(0, 0, "自评表").unwrap();
        let bold = rust_xlsxwriter::Format::new().set_bold();
        sheet.write_blank(1_000_000, 16_000, &bold).unwrap();
        workbook.save(&formatted).unwrap();
        let grids = read_grids(&formatted).unwrap();
        assert_eq!(grids[0].rows, [["自评表"]]);
        let error = read_grids(&corner).unwrap_err().to_string();
        assert!(
            error.contains("row 1000001") && error.contains("at most 10000 rows"),
            "{error}"
        );
        // A zip bomb: a part that expands to 80 MiB from a few hundred KiB.
        let bomb = directory.path().join("bomb.xlsx");
        let mut writer = zip::ZipWriter::new(std::fs::File::create(&bomb).unwrap());
        writer
            .start_file(
                "xl/worksheets/sheet1.xml",
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated),
            )
            .unwrap();
        let zeros = vec![b' '; 1024 * 1024];
        for _ in 0..80 {
            std::io::Write::write_all(&mut writer, &zeros).unwrap();
        }
        writer.finish().unwrap();
        assert!(std::fs::metadata(&bomb).unwrap().len() < 1024 * 1024);
        let error = read_grids(&bomb).unwrap_err().to_string();
        assert!(error.contains("expands to 83886080 bytes"), "{error}");
        let fake = directory.path().join("fake.docx");
        std::fs::write(&fake, "not a zip").unwrap();
        let error = read_grids(&fake).unwrap_err().to_string();
        assert!(error.contains("not a workbook or document"), "{error}");
    }
}
