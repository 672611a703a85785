import { toCsv } from './csv.js';

describe('toCsv', () => {
  it('writes RFC 4180 CSV that a spreadsheet will not execute', () => {
    expect(
      toCsv(
        ['name', 'amount'],
        [
          ['=HYPERLINK("http://evil")', -5],
          ['+1', 0],
          ['-2+3', 12],
          ['@SUM(A1)', null],
          ['plain, with "quotes"', 7],
          ['\tTAB', 1],
        ],
      ),
    ).toBe(
      'name,amount\r\n' +
        `"'=HYPERLINK(""http://evil"")",-5\r\n` +
        "'+1,0\r\n" +
        "'-2+3,12\r\n" +
        "'@SUM(A1),\r\n" +
        '"plain, with ""quotes""",7\r\n' +
        "'\tTAB,1\r\n",
    );
  });
});
