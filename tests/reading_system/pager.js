// Pages through an EPUB in epub.js and reports what a reader could see on each page.
//
// openBook(url, fontSize) renders the book paginated into #viewer; readAll() then turns every
// page and returns, per spine item, the texts of the table cells (td, th, .cell-value,
// .cell-label) all of whose words were inside the viewport on some page, and the words cut by
// a page edge (partly inside the viewport: a page wider or taller than the screen), and, for
// each page showing rows of a table whose header row is displayed (not reflowed), whether that
// header is drawn just above the page's first row of it (a header repeated on each page).
"use strict";

let rendition = null;

async function openBook(url, fontSize) {
  const book = await ePub(url);
  rendition = book.renderTo("viewer", { width: "100%", height: "100%", flow: "paginated", spread: "none" });
  rendition.themes.fontSize(fontSize);
  await rendition.display();
  await settle();
  return true;
}

function settle() {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
}

const CELLS = "td, th, .cell-value, .cell-label";

function wordsOf(element, doc) {
  const words = [];
  const walker = doc.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const pattern = /\S+/g;
    for (let match = pattern.exec(node.data); match; match = pattern.exec(node.data)) {
      const range = doc.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      words.push({ text: match[0], range });
    }
  }
  return words;
}

function inside(rect, box) {
  return rect.left >= box.left - 0.5 && rect.right <= box.right + 0.5 && rect.top >= box.top - 0.5 && rect.bottom <= box.bottom + 0.5;
}

function meets(rect, box) {
  return rect.right > box.left && rect.left < box.right && rect.bottom > box.top && rect.top < box.bottom && rect.width > 0;
}

// state of the spine item on screen: each cell's words, with the rects seen inside a viewport
let current = null;

function look(report) {
  const box = document.getElementById("viewer").getBoundingClientRect();
  for (const view of rendition.manager.views.all()) {
    const doc = view.document;
    const href = String(view.section.index);
    if (!current || current.href !== href) {
      finish(report);
      const cells = Array.from(doc.querySelectorAll(CELLS)).filter((element) => !element.closest("details:not([open])")).map((element) => ({
        element,
        text: element.textContent.replace(/\s+/g, " ").trim(),
        words: wordsOf(element, doc).map((word) => ({ ...word, seen: new Set(), rects: 0 })),
      }));
      current = { href, doc, cells };
    }
    const frame = view.iframe.getBoundingClientRect();
    const shifted = (rect) => ({
      left: rect.left + frame.left, right: rect.right + frame.left,
      top: rect.top + frame.top, bottom: rect.bottom + frame.top, width: rect.width,
    });
    for (const cell of current.cells) {
      for (const word of cell.words) {
        const rects = Array.from(word.range.getClientRects()).filter((r) => r.width > 0 && r.height > 0);
        word.rects = rects.length;
        rects.forEach((rect, index) => {
          if (inside(shifted(rect), box)) word.seen.add(index);
        });
      }
    }
    headers(doc, href, shifted, box, report);
    for (const word of wordsOf(doc.body, doc)) {
      const holder = word.range.startContainer.parentElement;
      if (holder && holder.closest("details:not([open])")) continue;  // behind a closed disclosure
      for (const rect of word.range.getClientRects()) {
        const where = shifted(rect);
        if (meets(where, box) && !inside(where, box)) report.cut.push(`${href}: ${word.text}`);
      }
    }
  }
}

// the point just above a table's topmost row on this page hits its header: repeated there
function headers(doc, href, shifted, box, report) {
  doc.querySelectorAll("table").forEach((table, index) => {
    const head = table.tHead;
    if (!head || doc.defaultView.getComputedStyle(head).display === "none" || table.closest("details:not([open])")) return;
    const rows = Array.from(table.tBodies).flatMap((body) => Array.from(body.rows))
      .map((row) => row.getBoundingClientRect()).filter((rect) => inside(shifted(rect), box));
    if (!rows.length) return;
    const top = rows.reduce((a, b) => (b.top < a.top ? b : a));
    const hit = doc.elementFromPoint(top.left + top.width / 2, top.top - 3);
    const key = `${href}: table ${index}`;
    report.headed[key] = report.headed[key] || { pages: 0, headed: 0 };
    report.headed[key].pages += 1;
    if (hit && head.contains(hit)) report.headed[key].headed += 1;
  });
}

function finish(report) {
  if (!current) return;
  const seen = report.seen[current.href] || (report.seen[current.href] = []);
  for (const cell of current.cells) {
    const shown = cell.words.filter((word) => word.rects > 0);
    if (shown.length && shown.every((word) => word.seen.size === word.rects)) seen.push(cell.text);
  }
  current = null;
}

async function readAll(limit) {
  const report = { seen: {}, cut: [], pages: 0, headed: {} };
  for (let turn = 0; turn < limit; turn++) {
    look(report);
    report.pages += 1;
    const location = rendition.currentLocation();
    if (location && location.atEnd) break;
    await rendition.next();
    await settle();
  }
  finish(report);
  return report;
}
