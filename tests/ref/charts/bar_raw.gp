# graft plot --kind bar, from estimates.csv
# Redraw with: gnuplot PATH/bar_raw.gp (from any folder: the chart
# and its data are beside this script).  Every text is drawn noenhanced, as it
# is: strings in single quotes (a quote in them as "\047"), tic labels read
# from the data file.
set terminal svg size 800,500 font 'DejaVu Sans,16' noenhanced background '#ffffff'
graft_dir(s) = (graft_i = strstrt(s, '/'), graft_i == 0 ? '' : s[1:graft_i] . graft_dir(s[graft_i + 1:]))
here = exists('ARG0') ? graft_dir(ARG0) : ''
set output here . 'bar_raw.svg'
datafile = here . 'bar_raw.dat'
set encoding utf8
set lmargin at screen 0.1982
set rmargin at screen 0.9760
set tmargin at screen 0.8915
set bmargin at screen 0.1826
set label 'Estimate; whiskers: 95 % confidence intervals' at screen 0.5871, screen 0.0834 center font 'DejaVu Sans,16' textcolor rgb '#222222' front
# title and subtitle
set label 'n_bribes, by region' at screen 0.0200, screen 0.9474 left font 'DejaVu Sans:Bold,20.8' textcolor rgb '#000000' front
# footnotes and source
set label 'Source: estimates.csv, n = 572. 95 % CI, design-based.' at screen 0.0200, screen 0.0401 left font 'DejaVu Sans,13.6' textcolor rgb '#555555' front
unset key
set border 1 lc rgb '#555555'
set xrange [0.0000:2.3937]
set yrange [0.4:4.20]
set xtics 0, 0.5, 2.394 nomirror out scale 0.5 format '%g' tc rgb '#222222'
set grid xtics lt 1 lc rgb '#e5e5e5'
set ytics nomirror scale 0 tc rgb '#333333'
set arrow from graph 0, first 2.80 to graph 1, first 2.80 nohead dt 3 lc rgb '#999999'
set bars 1.5
# the domains: tic labels read from the data (column 8)
plot datafile using (0):2:ytic(8) with points pt -1 notitle, \
     datafile using (0):2:(0):($6 == 0 ? $3 : NaN):($2 - 0.34):($2 + 0.34) with boxxyerror fc rgb '#56B4E9' fs solid 1.0 noborder notitle, \
     datafile using (0):2:(0):($6 == 1 ? $3 : NaN):($2 - 0.34):($2 + 0.34) with boxxyerror fc rgb '#0072B2' fs solid 1.0 noborder notitle, \
     datafile using 3:2:4:5 with xerrorbars pt -1 lw 1.5 lc rgb '#222222' notitle, \
     datafile using ($6 < 4 ? $7 : NaN):2:(sprintf('%.2f%s', $3, $6 == 2 || $6 == 3 ? '*' : '')) with labels left offset char 0.6,0 tc rgb '#222222' notitle
unset output
